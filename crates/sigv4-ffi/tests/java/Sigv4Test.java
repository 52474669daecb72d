// The C ABI from Java through the java.lang.foreign API (Java 22+; run on
// the Temurin 25 JDK as a single source file):
//
//   java --enable-native-access=ALL-UNNAMED Sigv4Test.java LIBSIGV4_SO SUITE_V4_DIR
//
// Prints "java: N passed, N failed" and exits 1 on a failure.

import java.lang.foreign.*;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.*;

public class Sigv4Test {
    static final String AKID = "AKIDEXAMPLE";
    static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    static final long T = 1440938160L; // 2015-08-30T12:36:00Z
    static final int OK = 0, INVALID_ARGUMENT = 3, BUFFER_TOO_SMALL = 4, SIGNATURE_MISMATCH = 9;

    // The structs of sigv4.h.
    static final StructLayout HEADER = MemoryLayout.structLayout(ADDRESS.withName("name"), ADDRESS.withName("value"));
    static final StructLayout REQUEST = MemoryLayout.structLayout(
            ADDRESS.withName("method"), ADDRESS.withName("url"), ADDRESS.withName("headers"),
            JAVA_LONG.withName("header_count"), JAVA_INT.withName("payload_kind"), MemoryLayout.paddingLayout(4),
            ADDRESS.withName("body"), JAVA_LONG.withName("body_len"), ADDRESS.withName("payload_hash"));
    static final StructLayout CREDENTIALS = MemoryLayout.structLayout(
            ADDRESS.withName("access_key_id"), ADDRESS.withName("secret_access_key"), ADDRESS.withName("session_token"));
    static final StructLayout PARAMS = MemoryLayout.structLayout(
            ADDRESS.withName("region"), ADDRESS.withName("service"), JAVA_LONG.withName("time_unix"),
            JAVA_INT.withName("flags"), MemoryLayout.paddingLayout(4));
    static final StructLayout SIGNED_HEADERS = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(5, HEADER).withName("headers"), JAVA_LONG.withName("count"));
    static final StructLayout VERIFIED = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(129, JAVA_BYTE).withName("access_key_id"),
            MemoryLayout.sequenceLayout(129, JAVA_BYTE).withName("region"),
            MemoryLayout.sequenceLayout(129, JAVA_BYTE).withName("service"),
            MemoryLayout.paddingLayout(5), JAVA_LONG.withName("signed_at_unix"),
            JAVA_BOOLEAN.withName("presigned"), JAVA_BOOLEAN.withName("unsigned_payload"), JAVA_BOOLEAN.withName("sigv4a"),
            MemoryLayout.paddingLayout(5));

    static int passed, failed;
    static MethodHandle sign, presign, verify, lastError, statusName, providerDefault, providerCredentials,
            credentialsView, credentialsExpiry, credentialsFree, providerFree;

    static void check(boolean ok, String what) throws Throwable {
        if (ok) { passed++; return; }
        failed++;
        System.err.println("FAIL " + what + " (last error: " + lastError() + ")");
    }

    static String lastError() throws Throwable {
        return ((MemorySegment) lastError.invokeExact()).reinterpret(4096).getString(0);
    }

    static MemorySegment request(Arena a, String method, String url, String[][] headers, byte[] body) {
        MemorySegment r = a.allocate(REQUEST);
        r.set(ADDRESS, 0, a.allocateFrom(method));
        r.set(ADDRESS, 8, a.allocateFrom(url));
        MemorySegment hs = a.allocate(HEADER, Math.max(headers.length, 1));
        for (int i = 0; i < headers.length; i++) {
            hs.set(ADDRESS, i * 16L, a.allocateFrom(headers[i][0]));
            hs.set(ADDRESS, i * 16L + 8, a.allocateFrom(headers[i][1]));
        }
        r.set(ADDRESS, 16, hs);
        r.set(JAVA_LONG, 24, headers.length);
        r.set(JAVA_INT, 32, 0); // SIGV4_PAYLOAD_KIND_BYTES
        if (body != null) {
            r.set(ADDRESS, 40, a.allocateFrom(JAVA_BYTE, body));
            r.set(JAVA_LONG, 48, body.length);
        }
        return r;
    }

    static MemorySegment credentials(Arena a) {
        MemorySegment c = a.allocate(CREDENTIALS);
        c.set(ADDRESS, 0, a.allocateFrom(AKID));
        c.set(ADDRESS, 8, a.allocateFrom(SECRET));
        return c;
    }

    static MemorySegment params(Arena a) {
        MemorySegment p = a.allocate(PARAMS);
        p.set(ADDRESS, 0, a.allocateFrom("us-east-1"));
        p.set(ADDRESS, 8, a.allocateFrom("service"));
        p.set(JAVA_LONG, 16, T);
        return p;
    }

    /** Signs; returns the headers to add, with the status under "status". */
    static Map<String, String> sign(Arena a, MemorySegment req) throws Throwable {
        MemorySegment buf = a.allocate(2048), needed = a.allocate(JAVA_LONG), out = a.allocate(SIGNED_HEADERS);
        int st = (int) sign.invokeExact(req, credentials(a), params(a), buf, 2048L, needed, out);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("status", Integer.toString(st));
        if (st == OK) {
            long n = out.get(JAVA_LONG, SIGNED_HEADERS.byteOffset(MemoryLayout.PathElement.groupElement("count")));
            for (long i = 0; i < n; i++) {
                headers.put(out.get(ADDRESS, i * 16).reinterpret(4096).getString(0),
                        out.get(ADDRESS, i * 16 + 8).reinterpret(4096).getString(0));
            }
        }
        return headers;
    }

    /** The secret lookup, called back from the library. */
    static int lookup(MemorySegment ctx, MemorySegment akid, MemorySegment buf, long cap, MemorySegment len) {
        if (!akid.reinterpret(256).getString(0).equals(AKID)) return 1;
        byte[] s = SECRET.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(s, 0, buf.reinterpret(cap), JAVA_BYTE, 0, s.length);
        len.reinterpret(8).set(JAVA_LONG, 0, s.length);
        return 0;
    }

    public static void main(String[] args) throws Throwable {
        Path suite = Path.of(args[1], "get-vanilla");
        Linker linker = Linker.nativeLinker();
        try (Arena a = Arena.ofConfined()) {
            SymbolLookup lib = SymbolLookup.libraryLookup(Path.of(args[0]), a);
            java.util.function.BiFunction<String, FunctionDescriptor, MethodHandle> fn =
                    (name, d) -> linker.downcallHandle(lib.find(name).orElseThrow(), d);
            sign = fn.apply("sigv4_sign", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS));
            presign = fn.apply("sigv4_presign", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS));
            verify = fn.apply("sigv4_verify", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
            lastError = fn.apply("sigv4_last_error", FunctionDescriptor.of(ADDRESS));
            statusName = fn.apply("sigv4_status_name", FunctionDescriptor.of(ADDRESS, JAVA_INT));
            providerDefault = fn.apply("sigv4_provider_default", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
            providerCredentials = fn.apply("sigv4_provider_credentials", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
            credentialsView = fn.apply("sigv4_owned_credentials_view", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
            credentialsExpiry = fn.apply("sigv4_owned_credentials_expiry", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
            credentialsFree = fn.apply("sigv4_owned_credentials_free", FunctionDescriptor.ofVoid(ADDRESS));
            providerFree = fn.apply("sigv4_provider_free", FunctionDescriptor.ofVoid(ADDRESS));
            String[][] host = {{"Host", "example.amazonaws.com"}};

            // Sign the suite's get-vanilla.
            Map<String, String> h = sign(a, request(a, "GET", "https://example.amazonaws.com/", host, null));
            String sig = Files.readString(suite.resolve("header-signature.txt")).strip();
            check(h.get("status").equals("0"), "sign get-vanilla");
            check(h.getOrDefault("Authorization", "").endsWith("Signature=" + sig), "get-vanilla signature");

            // Presign: the length first, then the URL.
            MemorySegment req = request(a, "GET", "https://example.amazonaws.com/", host, null);
            MemorySegment needed = a.allocate(JAVA_LONG);
            int st = (int) presign.invokeExact(req, credentials(a), params(a), 3600L, MemorySegment.NULL, 0L, needed);
            check(st == BUFFER_TOO_SMALL, "presign length");
            long n = needed.get(JAVA_LONG, 0);
            MemorySegment buf = a.allocate(n);
            st = (int) presign.invokeExact(req, credentials(a), params(a), 3600L, buf, n, needed);
            String qsig = Files.readString(suite.resolve("query-signature.txt")).strip();
            check(st == OK && buf.getString(0).contains("X-Amz-Signature=" + qsig), "presign");

            // Verify a signed POST and a tampered one.
            String[][] form = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", "example.amazonaws.com"}};
            Map<String, String> signed = sign(a, request(a, "POST", "https://example.amazonaws.com/", form,
                    "Param1=value1".getBytes(StandardCharsets.UTF_8)));
            signed.remove("status");
            String[][] received = new String[form.length + signed.size()][];
            System.arraycopy(form, 0, received, 0, form.length);
            int i = form.length;
            for (var e : signed.entrySet()) received[i++] = new String[] {e.getKey(), e.getValue()};
            MethodHandle target = MethodHandles.lookup().findStatic(Sigv4Test.class, "lookup",
                    MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, MemorySegment.class, long.class, MemorySegment.class));
            MemorySegment stub = linker.upcallStub(target,
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), a);
            MemorySegment v = a.allocate(VERIFIED);
            st = (int) verify.invokeExact(request(a, "POST", "https://example.amazonaws.com/", received,
                    "Param1=value1".getBytes(StandardCharsets.UTF_8)), T + 5, 0, stub, MemorySegment.NULL, v);
            check(st == OK && v.getString(0).equals(AKID), "verify");
            st = (int) verify.invokeExact(request(a, "POST", "https://example.amazonaws.com/", received,
                    "Param1=value2".getBytes(StandardCharsets.UTF_8)), T + 5, 0, stub, MemorySegment.NULL, v);
            check(st == SIGNATURE_MISMATCH, "verify tampered: " + st);

            // Credentials from the environment (set by the caller) through
            // the default provider.
            MemorySegment provider = a.allocate(ADDRESS), owned = a.allocate(ADDRESS), view = a.allocate(CREDENTIALS);
            check((int) providerDefault.invokeExact(MemorySegment.NULL, provider) == OK, "default provider");
            MemorySegment p = provider.get(ADDRESS, 0);
            check((int) providerCredentials.invokeExact(p, owned) == OK, "credentials");
            MemorySegment o = owned.get(ADDRESS, 0);
            check((int) credentialsView.invokeExact(o, view) == OK, "view");
            String envKey = view.get(ADDRESS, 0).reinterpret(256).getString(0);
            check(envKey.equals(System.getenv("AWS_ACCESS_KEY_ID")), "environment credentials: " + envKey);
            check((long) credentialsExpiry.invokeExact(o) == -1L, "no expiry");
            credentialsFree.invokeExact(o);
            providerFree.invokeExact(p);

            // The error path: a malformed URL.
            h = sign(a, request(a, "GET", "not a url", host, null));
            st = Integer.parseInt(h.get("status"));
            check(st == INVALID_ARGUMENT, "malformed URL status " + st);
            String name = ((MemorySegment) statusName.invokeExact(st)).reinterpret(64).getString(0);
            check(name.equals("SIGV4_STATUS_INVALID_ARGUMENT"), "status name " + name);
            check(lastError().contains("URL"), "last error names the URL");
        }
        System.out.println("java: " + passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
