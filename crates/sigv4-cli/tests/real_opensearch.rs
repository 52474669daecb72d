//! The README's role-mapping scene with `sigv4 request` against a real
//! OpenSearch node with the real security plugin, behind the IAM gateway
//! that verifies SigV4 as Amazon OpenSearch Service does
//! (`test_support::opensearch::real`). An EC2 instance role (credentials
//! from an IMDSv2 fake) and an ECS task role (a container endpoint fake)
//! go through the default chain of the `sigv4` binary; the master user maps
//! them with the README's commands; every refusal is the real plugin's.

use std::process::{Command, Output, Stdio};

use serde_json::Value;
use test_support::opensearch::real::{IamGateway, REAL_MASTER_USER, real_node};
use test_support::opensearch::{Config, IamIdentity, botocore_check};
use test_support::workload::{ContainerEndpoint, Ec2Metadata, Keys};

enum Source<'a> {
    Ec2(&'a Ec2Metadata),
    Ecs(&'a ContainerEndpoint),
    Basic(&'a str),
}

/// `sigv4 request` with a workload's environment: nothing but the one
/// credential source it would have.
fn request(source: &Source<'_>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sigv4"));
    cmd.arg("request")
        .env_clear()
        .env("HOME", "/nonexistent")
        .env("AWS_REGION", "eu-west-1")
        .stdin(Stdio::null());
    match source {
        Source::Ec2(imds) => {
            cmd.env("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.endpoint)
                .args(["--service", "es"]);
        }
        Source::Ecs(ecs) => {
            cmd.env("AWS_EC2_METADATA_DISABLED", "true")
                .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &ecs.full_uri)
                .env(
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                    &ecs.authorization_token,
                )
                .args(["--service", "es"]);
        }
        Source::Basic(user) => {
            cmd.env("AWS_EC2_METADATA_DISABLED", "true")
                .args(["-u", user]);
        }
    }
    cmd.args(args).output().unwrap()
}

fn ok(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The HTTP error's body (exit 22, body on stderr).
fn refused(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(22),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn patch(master: &Source<'_>, url: &str, ops: &Value) -> Value {
    ok(&request(
        master,
        &[
            "-X",
            "PATCH",
            "-H",
            "Content-Type: application/json",
            "-d",
            &ops.to_string(),
            url,
        ],
    ))
}

/// The README's way to map a backend role without dropping anything:
/// look first; a role without a mapping gets one (PUT), a list the plugin
/// stores empty is added whole, else the role is appended. True when the
/// mapping was created.
fn add_backend_role(master: &Source<'_>, mapping_url: &str, role: &str, arn: &str) -> bool {
    let out = request(master, &[mapping_url]);
    if out.status.code() == Some(22) {
        assert!(refused(&out).contains("NOT_FOUND"));
        let body = serde_json::json!({"backend_roles": [arn]});
        let created = ok(&request(
            master,
            &[
                "-X",
                "PUT",
                "-H",
                "Content-Type: application/json",
                "-d",
                &body.to_string(),
                mapping_url,
            ],
        ));
        assert_eq!(created["status"], "CREATED");
        return true;
    }
    let got = ok(&out);
    let empty = got[role]["backend_roles"]
        .as_array()
        .is_none_or(|a| a.is_empty());
    let op = if empty {
        serde_json::json!([{"op": "add", "path": "/backend_roles", "value": [arn]}])
    } else {
        serde_json::json!([{"op": "add", "path": "/backend_roles/-", "value": arn}])
    };
    assert_eq!(patch(master, mapping_url, &op)["status"], "OK");
    false
}

/// Takes `arn` out again (the node outlives the test): the list less it.
fn remove_backend_role(master: &Source<'_>, mapping_url: &str, role: &str, arn: &str) {
    let got = ok(&request(master, &[mapping_url]));
    let rest: Vec<Value> = got[role]["backend_roles"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|v| v != arn)
        .collect();
    let op = serde_json::json!([{"op": "replace", "path": "/backend_roles", "value": rest}]);
    assert_eq!(patch(master, mapping_url, &op)["status"], "OK");
}

#[test]
fn ec2_and_ecs_roles_mapped_by_the_master_user_on_the_real_plugin() {
    let node = real_node();
    let tag = format!(
        "{}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
        std::process::id()
    );
    let ec2_role = format!("arn:aws:iam::123456789012:role/app-on-ec2-{tag}");
    let ecs_role = format!("arn:aws:iam::123456789012:role/orders-ecs-task-{tag}");
    let ec2_keys = Keys {
        access_key_id: "ASIAEC2INSTANCEROLE1".into(),
        secret: "ec2InstanceRoleSecret/000000000000000000001".into(),
        token: "ec2-session-token".into(),
    };
    let ecs_keys = Keys {
        access_key_id: "ASIAECSTASKROLE00002".into(),
        secret: "ecsTaskRoleSecret/00000000000000000000000002".into(),
        token: "ecs-session-token".into(),
    };
    let imds = Ec2Metadata::start(&format!("app-on-ec2-{tag}"), ec2_keys.clone());
    let ecs = ContainerEndpoint::start(&ecs_role, ecs_keys.clone());
    let gateway = IamGateway::start(
        node,
        Config {
            iam: [(&ec2_keys, &ec2_role), (&ecs_keys, &ecs_role)]
                .into_iter()
                .map(|(k, arn)| IamIdentity {
                    access_key_id: k.access_key_id.clone(),
                    secret: k.secret.clone(),
                    session_token: Some(k.token.clone()),
                    arn: arn.clone(),
                })
                .collect(),
            ..Config::default()
        },
    );
    let url = gateway.url();
    let master_user = format!("{REAL_MASTER_USER}:{}", node.master_password);
    let master = Source::Basic(&master_user);
    let ec2 = Source::Ec2(&imds);
    let ecs_task = Source::Ecs(&ecs);
    let cat = format!("{url}/_cat/indices?format=json");
    let all_access = format!("{url}/_plugins/_security/api/rolesmapping/all_access");
    let security_manager = format!("{url}/_plugins/_security/api/rolesmapping/security_manager");

    // Unmapped: signed and authenticated, but the plugin's own 403.
    for (who, arn) in [(&ec2, &ec2_role), (&ecs_task, &ecs_role)] {
        let text = refused(&request(who, &[&cat]));
        assert!(text.contains("security_exception"), "{text}");
        assert!(
            text.contains("no permissions for [indices:monitor/settings/get]"),
            "{text}"
        );
        assert!(text.contains(arn.as_str()), "{text}");
        let me = ok(&request(
            who,
            &[&format!("{url}/_plugins/_security/authinfo")],
        ));
        assert_eq!(me["user_name"], arn.as_str());
        assert_eq!(me["backend_roles"], serde_json::json!([arn]));
    }
    // The master user maps the EC2 role with the README's PATCH, and the
    // ECS role with a read-modify-PUT: nothing mapped before is dropped.
    let before = ok(&request(&master, &[&all_access]))["all_access"].clone();
    assert!(!add_backend_role(
        &master,
        &all_access,
        "all_access",
        &ec2_role
    ));
    let mut mapping = ok(&request(&master, &[&all_access]))["all_access"].clone();
    let fields = mapping.as_object_mut().unwrap();
    for read_only in ["reserved", "hidden", "static"] {
        fields.remove(read_only);
    }
    fields["backend_roles"]
        .as_array_mut()
        .unwrap()
        .push(ecs_role.clone().into());
    let put = ok(&request(
        &master,
        &[
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/json",
            "-d",
            &mapping.to_string(),
            &all_access,
        ],
    ));
    assert_eq!(put["status"], "OK");
    let after = ok(&request(&master, &[&all_access]))["all_access"].clone();
    assert_eq!(after["users"], before["users"], "the master user stays");
    let mut roles = before["backend_roles"].as_array().unwrap().clone();
    roles.extend([ec2_role.clone().into(), ecs_role.clone().into()]);
    assert_eq!(after["backend_roles"], Value::Array(roles));

    // Both list indices now.
    let index = format!("orders-{tag}");
    ok(&request(
        &master,
        &["-X", "PUT", "-d", "{}", &format!("{url}/{index}")],
    ));
    for who in [&ec2, &ecs_task] {
        let indices = ok(&request(who, &[&cat]));
        assert!(
            indices
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["index"] == index.as_str()),
            "{indices}"
        );
    }

    // all_access alone: the security REST API says FORBIDDEN.
    let text = refused(&request(
        &ec2,
        &[&format!("{url}/_plugins/_security/api/rolesmapping")],
    ));
    assert!(text.contains(r#""status":"FORBIDDEN""#), "{text}");
    assert!(
        text.contains("does not have any role privileged for admin access"),
        "{text}"
    );

    // Mapped to security_manager, the ECS task role may change mappings.
    assert!(!add_backend_role(
        &master,
        &security_manager,
        "security_manager",
        &ecs_role
    ));
    let extra = format!("arn:aws:iam::123456789012:role/reader-{tag}");
    let readall = format!("{url}/_plugins/_security/api/rolesmapping/readall");
    let created = add_backend_role(&ecs_task, &readall, "readall", &extra);
    let got = ok(&request(&ecs_task, &[&readall]));
    assert!(
        got["readall"]["backend_roles"]
            .as_array()
            .unwrap()
            .contains(&extra.clone().into())
    );
    remove_backend_role(&ecs_task, &readall, "readall", &extra);
    if created {
        ok(&request(&ecs_task, &["-X", "DELETE", &readall]));
    }
    // The EC2 role still may not.
    let text = refused(&request(
        &ec2,
        &[
            "-X",
            "PATCH",
            "-H",
            "Content-Type: application/json",
            "-d",
            "[]",
            &readall,
        ],
    ));
    assert!(text.contains("FORBIDDEN"), "{text}");

    // Clean up: the node serves the rest of the run.
    ok(&request(
        &master,
        &["-X", "DELETE", &format!("{url}/{index}")],
    ));
    remove_backend_role(&master, &security_manager, "security_manager", &ecs_role);
    for arn in [&ec2_role, &ecs_role] {
        remove_backend_role(&master, &all_access, "all_access", arn);
    }
    let restored = ok(&request(&master, &[&all_access]))["all_access"].clone();
    assert_eq!(restored["backend_roles"], before["backend_roles"]);
    assert_eq!(restored["users"], before["users"]);

    // Credentials were fetched once per process, and every signed request
    // checks out with botocore too.
    assert!(imds.credential_reads() >= 1 && ecs.credential_reads() >= 1);
    assert!(botocore_check(gateway.config(), &gateway.recorded()) >= 8);

    // A wrong signature never reaches the node: the gateway's words.
    let forwarded = gateway.forwarded();
    let out = Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args(["request", "--service", "es", &cat])
        .env_clear()
        .env("HOME", "/nonexistent")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", &ec2_keys.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .env("AWS_SESSION_TOKEN", &ec2_keys.token)
        .output()
        .unwrap();
    assert!(refused(&out).contains("signature we calculated does not match"));
    assert_eq!(gateway.forwarded(), forwarded);
}
