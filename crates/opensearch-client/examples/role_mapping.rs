//! The target scenario, end to end, against the loopback OpenSearch-
//! compatible cluster of the test suite (no AWS account needed):
//!
//! 1. an ECS task's role is not mapped: its SigV4 call gets 403;
//! 2. an operator role mapped to `all_access` alone tries to map it, and
//!    gets the security plugin's FORBIDDEN (changing mappings needs a role
//!    privileged for the security API, `security_manager`);
//! 3. the master user (basic auth) maps the task role's ARN to
//!    `all_access`;
//! 4. the workload lists indices, with SigV4 credentials that the default
//!    chain takes from the ECS container endpoint.
//!
//! ```text
//! cargo run -p opensearch-client --example role_mapping
//! ```
//!
//! Against a real domain, use the domain endpoint as the node URL and let
//! the default chain read the real environment
//! (`cred_providers::default_provider(None)`).

use std::sync::Arc;

use cred_providers::{
    BlockingTransport, DefaultChain, EnvironmentProvider, MapEnv, ProxySetting, RealFiles,
    TransportConfig,
};
use opensearch_client::api::{self, CatIndex};
use opensearch_client::auth::{Auth, Service};
use opensearch_client::documents;
use opensearch_client::error::Error;
use opensearch_client::security::{self, AuthInfo, MappingChange};
use opensearch_client::{Client, NodePool};
use test_support::opensearch::{Config, FakeOpenSearch, IamIdentity, MASTER_PASSWORD, MASTER_USER};

const TASK_ROLE: &str = "arn:aws:iam::123456789012:role/orders-ecs-task";
const KEY: &str = "ASIAORDERSTASK000001";
const SECRET: &str = "ordersTaskSecret/EXAMPLE0000000000000001";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE//task+session+token==";
const OPS_ROLE: &str = "arn:aws:iam::123456789012:role/search-operators";
const OPS_KEY: &str = "AKIAOPERATORS0000001";
const OPS_SECRET: &str = "operatorsSecret/EXAMPLE00000000000000001";

fn main() -> Result<(), Error> {
    // A domain with fine-grained access control, and the ECS container
    // endpoint that hands the task role's credentials to the task.
    let domain = FakeOpenSearch::start(Config {
        nodes: 2,
        service: "es",
        iam: vec![
            IamIdentity {
                access_key_id: KEY.into(),
                secret: SECRET.into(),
                session_token: Some(TOKEN.into()),
                arn: TASK_ROLE.into(),
            },
            IamIdentity {
                access_key_id: OPS_KEY.into(),
                secret: OPS_SECRET.into(),
                session_token: None,
                arn: OPS_ROLE.into(),
            },
        ],
        ..Config::default()
    });
    let body = format!(
        r#"{{"AccessKeyId":"{KEY}","SecretAccessKey":"{SECRET}","Token":"{TOKEN}","Expiration":"2099-01-01T00:00:00Z","RoleArn":"{TASK_ROLE}"}}"#
    );
    let ecs_port =
        test_support::http::serve_fn(move |_| test_support::http::ok_response("200 OK", &body));

    let transport = Arc::new(
        BlockingTransport::try_new(TransportConfig {
            proxy: ProxySetting::None,
            ..TransportConfig::default()
        })
        .map_err(Error::Transport)?,
    );
    let nodes = || NodePool::new(domain.urls());

    // The workload: the default chain, in an ECS task's environment.
    let missing = std::env::temp_dir().join("no-aws-config-here");
    let task_env = MapEnv::new([
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("http://127.0.0.1:{ecs_port}/v2/credentials/task"),
        ),
        ("AWS_CONFIG_FILE", missing.display().to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE", missing.display().to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]);
    let chain = DefaultChain::new(
        Arc::new(task_env),
        Arc::new(RealFiles),
        None,
        transport.clone(),
    );
    // Any provider: the client puts it behind a cache.
    let region = domain.config().region.clone();
    let workload = Client::new(nodes()?, transport, Auth::sigv4(chain, region, Service::Es));
    // The same nodes and connections, other identities.
    let operator_keys = MapEnv::new([
        ("AWS_ACCESS_KEY_ID", OPS_KEY),
        ("AWS_SECRET_ACCESS_KEY", OPS_SECRET),
    ]);
    let operator = workload.with_auth(Auth::sigv4(
        EnvironmentProvider::new(Arc::new(operator_keys)),
        domain.config().region.clone(),
        Service::Es,
    ));
    let master = workload.with_auth(Auth::basic(MASTER_USER, MASTER_PASSWORD));
    let (workload, operator, master) =
        (workload.blocking(), operator.blocking(), master.blocking());

    println!("1. the task role, not mapped yet, lists indices:");
    match workload.call::<Vec<CatIndex>>(&api::cat_indices()) {
        Err(e) if e.is_forbidden() => println!("   {e}"),
        Err(e) => return Err(e),
        Ok(_) => println!("   (unexpectedly allowed)"),
    }
    let me: AuthInfo = workload.call(&security::authinfo())?;
    println!(
        "   OpenSearch sees user {} with backend roles {:?}",
        me.user_name, me.backend_roles
    );

    // The operators' role is mapped to all_access only (appended: the
    // master user's own mapping stays).
    master.add_backend_role("all_access", OPS_ROLE)?;
    println!("\n2. {OPS_ROLE}, mapped to all_access only, maps the task role:");
    match operator.add_backend_role("all_access", TASK_ROLE) {
        Err(e) if e.is_forbidden() => {
            println!("   {e}");
            println!("   fix: {}", e.hint().unwrap_or("-"));
        }
        Err(e) => return Err(e),
        Ok(_) => println!("   (unexpectedly allowed)"),
    }

    println!("\n3. the master user appends {TASK_ROLE} to all_access:");
    if let MappingChange::Changed(done) = master.add_backend_role("all_access", TASK_ROLE)? {
        println!("   {}: {}", done.status, done.message);
    }
    let now = master.get_role_mapping("all_access")?.unwrap_or_default();
    println!(
        "   all_access: users = {:?}, backend_roles = {:?}",
        now.users, now.backend_roles
    );
    let _: serde_json::Value =
        master.call(&documents::create_index("orders", &serde_json::json!({}))?)?;

    println!("\n4. the workload lists indices with SigV4 (credentials from the ECS endpoint):");
    let indices: Vec<CatIndex> = workload.call(&api::cat_indices())?;
    for i in &indices {
        println!(
            "   {} {} docs={}",
            i.health.as_deref().unwrap_or("?"),
            i.index,
            i.docs_count.as_deref().unwrap_or("0")
        );
    }
    let me: AuthInfo = workload.call(&security::authinfo())?;
    println!("   roles now: {:?}", me.roles);
    Ok(())
}
