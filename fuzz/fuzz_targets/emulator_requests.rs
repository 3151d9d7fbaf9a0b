//! The emulator's request handling on arbitrary HTTP requests, driven in process (no sockets):
//! each input is a short sequence of requests sent through one emulator's router
//! (`ims_emulator::in_process::router`) with `tower::ServiceExt::oneshot` on a current-thread
//! tokio runtime made once.
//!
//! Requests are built from structure: a method (known or any), a path (a real route with
//! fuzzed segments, the job a previous create answered, or any), query, headers, a body (any
//! bytes, or a create body with fuzzed fields), and an authentication (none, an AK/SK signature
//! with the emulator's demo AK/SK or with the temporary credentials its metadata service handed
//! out earlier in the sequence, an `X-Auth-Token`, or a garbage `Authorization`).
//!
//! Invariants: no panic, never a 5xx (no fault is configured), every answer carries an
//! `X-Request-Id`, and a create answered 200 carries a `job_id` that the job endpoints then
//! find.
#![no_main]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arbitrary::Arbitrary;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::BodyExt;
use ims_core::Credentials;
use ims_core::sign::{self, Algorithm, SdkDate, SignableRequest, SigningParams, encode};
use ims_emulator::{DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, EmulatorConfig, in_process};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const AUTH_TOKEN: &str = "fuzz-auth-token";
const UUID_A: &str = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
const UUID_B: &str = "de9fcf45-11b2-432c-8562-5c5428574600";

/// `IMS_FUZZ_TRACE=1`: print each request and its status (to see what a seed reaches).
fn trace() -> bool {
    static TRACE: OnceLock<bool> = OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("IMS_FUZZ_TRACE").is_some())
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a tokio runtime")
    })
}

#[derive(Arbitrary, Debug)]
enum Text<'a> {
    Known(u8),
    Other(&'a str),
}

impl<'a> Text<'a> {
    fn or_from(&self, known: &[&'a str]) -> &'a str {
        match self {
            Text::Known(i) => known[usize::from(*i) % known.len()],
            Text::Other(s) => s,
        }
    }
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"];
const SEGMENTS: &[&str] = &[
    DEMO_PROJECT_ID,
    "0123456789abcdef0123456789abcdef",
    "",
    "%20",
    "%zz",
    "..",
    "%2F",
];
const HEADER_NAMES: &[&str] = &[
    "content-type",
    "x-project-id",
    "x-sdk-date",
    "x-security-token",
    "x-auth-token",
    "x-metadata-token",
    "x-metadata-token-ttl-seconds",
    "authorization",
    "host",
    "x-sdk-content-sha256",
];
const HEADER_VALUES: &[&str] = &[
    "application/json",
    DEMO_PROJECT_ID,
    "21600",
    "0",
    "20240102T030405Z",
    AUTH_TOKEN,
    "UNSIGNED-PAYLOAD",
    "SDK-HMAC-SHA256 Access=IMSDEMOAK00000000000, SignedHeaders=host;x-sdk-date, Signature=00",
];

#[derive(Arbitrary, Debug)]
enum PathChoice<'a> {
    Create,
    Job(Text<'a>),
    LegacyJob(Text<'a>, Text<'a>),
    /// The job id answered by the last successful create of this sequence.
    LastJob {
        legacy: bool,
    },
    Projects,
    MetadataToken,
    SecurityKey,
    Other(&'a str),
}

#[derive(Arbitrary, Debug)]
enum Id<'a> {
    Good(bool),
    Other(&'a str),
}

impl Id<'_> {
    fn value(&self) -> &str {
        match self {
            Id::Good(true) => UUID_A,
            Id::Good(false) => UUID_B,
            Id::Other(s) => s,
        }
    }
}

#[derive(Arbitrary, Debug)]
struct CreateBody<'a> {
    name: Text<'a>,
    description: Option<&'a str>,
    backup: Option<Id<'a>>,
    instance_id: Option<Id<'a>>,
    vault_id: Option<Id<'a>>,
    whole_image_type: Option<&'a str>,
    image_tags: Vec<(&'a str, &'a str)>,
    legacy_tags: Vec<&'a str>,
    min_ram: Option<i64>,
    max_ram: Option<i64>,
    enterprise_project_id: Option<Id<'a>>,
    extra: Option<(&'a str, &'a str)>,
}

impl CreateBody<'_> {
    fn to_json(&self) -> Vec<u8> {
        let mut doc = serde_json::Map::new();
        let mut put = |k: &str, v: serde_json::Value| {
            doc.insert(k.to_owned(), v);
        };
        put("name", self.name.or_from(&["nightly", "", "名字-1"]).into());
        if let Some(d) = self.description {
            put("description", d.into());
        }
        if let Some(b) = &self.backup {
            put("backup_id", b.value().into());
        }
        if let Some(i) = &self.instance_id {
            put("instance_id", i.value().into());
        }
        if let Some(v) = &self.vault_id {
            put("vault_id", v.value().into());
        }
        if let Some(t) = self.whole_image_type {
            put("whole_image_type", t.into());
        }
        if !self.image_tags.is_empty() {
            let tags: Vec<serde_json::Value> = self
                .image_tags
                .iter()
                .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
                .collect();
            put("image_tags", tags.into());
        }
        if !self.legacy_tags.is_empty() {
            put("tags", self.legacy_tags.clone().into());
        }
        if let Some(m) = self.min_ram {
            put("min_ram", m.into());
        }
        if let Some(m) = self.max_ram {
            put("max_ram", m.into());
        }
        if let Some(e) = &self.enterprise_project_id {
            put("enterprise_project_id", e.value().into());
        }
        if let Some((k, v)) = self.extra {
            put(k, v.into());
        }
        serde_json::to_vec(&serde_json::Value::Object(doc)).expect("JSON")
    }
}

#[derive(Arbitrary, Debug)]
enum BodyChoice<'a> {
    Empty,
    Bytes(&'a [u8]),
    Create(CreateBody<'a>),
}

#[derive(Arbitrary, Debug)]
enum Auth<'a> {
    None,
    /// Signed with the demo AK/SK (or the temporary triple fetched earlier in the sequence).
    Signed {
        algorithm: u8,
        temporary: bool,
        project_header: bool,
        date_offset: i16,
    },
    Token(Text<'a>),
}

#[derive(Arbitrary, Debug)]
struct Req<'a> {
    method: Text<'a>,
    path: PathChoice<'a>,
    query: Option<&'a str>,
    headers: Vec<(Text<'a>, Text<'a>)>,
    body: BodyChoice<'a>,
    auth: Auth<'a>,
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    instant_jobs: bool,
    requests: Vec<Req<'a>>,
}

/// What earlier requests of the sequence answered.
#[derive(Default)]
struct Memory {
    job_id: Option<String>,
    metadata_token: Option<String>,
    temporary: Option<Credentials>,
}

fn build(req: &Req<'_>, memory: &Memory) -> Option<Request<Body>> {
    let method = Method::from_bytes(req.method.or_from(METHODS).as_bytes()).ok()?;
    let segment = |t: &Text<'_>| encode::encode(t.or_from(SEGMENTS));
    let path = match &req.path {
        PathChoice::Create => ims_emulator::CREATE_PATH.to_owned(),
        PathChoice::Job(id) => format!("/v1/cloudimages/job/{}", segment(id)),
        PathChoice::LegacyJob(p, id) => format!("/v1/{}/jobs/{}", segment(p), segment(id)),
        PathChoice::LastJob { legacy } => {
            let id = memory.job_id.as_deref().unwrap_or("none");
            if *legacy {
                format!("/v1/{DEMO_PROJECT_ID}/jobs/{id}")
            } else {
                format!("/v1/cloudimages/job/{id}")
            }
        }
        PathChoice::Projects => ims_emulator::PROJECTS_PATH.to_owned(),
        PathChoice::MetadataToken => ims_emulator::METADATA_TOKEN_PATH.to_owned(),
        PathChoice::SecurityKey => ims_emulator::SECURITY_KEY_PATH.to_owned(),
        PathChoice::Other(p) => (*p).to_owned(),
    };
    let query = match (&req.path, req.query) {
        (PathChoice::Projects, None) => Some("name=cn-north-4"),
        (_, q) => q,
    };
    let uri = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let uri: axum::http::Uri = uri.parse().ok()?;
    let body = match &req.body {
        BodyChoice::Empty => Vec::new(),
        BodyChoice::Bytes(b) => b.to_vec(),
        BodyChoice::Create(c) => c.to_json(),
    };

    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.or_from(HEADER_NAMES).to_owned(),
                v.or_from(HEADER_VALUES).to_owned(),
            )
        })
        .collect();
    if let Some(token) = &memory.metadata_token {
        if matches!(req.path, PathChoice::SecurityKey) {
            headers.push(("x-metadata-token".to_owned(), token.clone()));
        }
    }
    if matches!(req.path, PathChoice::MetadataToken) {
        headers.push(("x-metadata-token-ttl-seconds".to_owned(), "60".to_owned()));
    }
    match &req.auth {
        Auth::None => {}
        Auth::Token(t) => headers.push((
            "x-auth-token".to_owned(),
            t.or_from(&[AUTH_TOKEN]).to_owned(),
        )),
        Auth::Signed {
            algorithm,
            temporary,
            project_header,
            date_offset,
        } => {
            if *project_header {
                headers.push(("X-Project-Id".to_owned(), DEMO_PROJECT_ID.to_owned()));
            }
            let demo = Credentials::new(DEMO_AK, DEMO_SK);
            let credentials = match (&memory.temporary, temporary) {
                (Some(t), true) => t,
                _ => &demo,
            };
            let algorithm = [
                Algorithm::SdkHmacSha256,
                Algorithm::SdkHmacSm3,
                Algorithm::V11HmacSha256,
            ][usize::from(algorithm % 3)];
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            let date = SdkDate::from_unix(now + i64::from(date_offset % 1200)).ok()?;
            let query_pairs = encode::parse_query(uri.query().unwrap_or(""));
            let query: Vec<(&str, &str)> = query_pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let unsigned: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let signable = SignableRequest {
                method: method.as_str(),
                host: "127.0.0.1",
                path: uri.path(),
                query: &query,
                headers: &unsigned,
                body: &body,
            };
            let params = SigningParams {
                credentials,
                algorithm,
                date,
                region: Some("cn-north-4"),
                service: Some("ims"),
            };
            if let Ok(out) = sign::sign(&signable, &params) {
                let signed: Vec<(String, String)> = out
                    .headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .chain([("Authorization".to_owned(), out.authorization.clone())])
                    .collect();
                headers = signed;
            }
        }
    }

    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in &headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            continue;
        };
        request = request.header(name, value);
    }
    request.body(Body::from(body)).ok()
}

fuzz_target!(|input: Input<'_>| {
    let mut config = EmulatorConfig::demo();
    config.settings.auth_token = Some(AUTH_TOKEN.to_owned());
    if input.instant_jobs {
        config.settings.job_duration = Duration::ZERO;
    }
    let router = in_process::router(&config);
    let mut memory = Memory::default();
    for req in input.requests.iter().take(6) {
        let Some(request) = build(req, &memory) else {
            continue;
        };
        let shown = format!("{} {}", request.method(), request.uri());
        let response = runtime()
            .block_on(router.clone().oneshot(request))
            .unwrap_or_else(|e| match e {});
        let status = response.status();
        if trace() {
            eprintln!("{shown} -> {status}");
        }
        assert!(
            !status.is_server_error(),
            "{shown} answered {status} with no fault configured"
        );
        assert!(
            response.headers().contains_key("x-request-id"),
            "{shown}: no X-Request-Id"
        );
        let body = runtime()
            .block_on(response.into_body().collect())
            .expect("an in-memory body")
            .to_bytes();
        if status != StatusCode::OK {
            continue;
        }
        match &req.path {
            PathChoice::Create => {
                let doc: serde_json::Value =
                    serde_json::from_slice(&body).expect("a create answer is JSON");
                let id = doc["job_id"]
                    .as_str()
                    .expect("a create answer has a job_id");
                memory.job_id = Some(id.to_owned());
            }
            PathChoice::LastJob { .. } => {
                let job = ims_core::model::Job::from_json(
                    std::str::from_utf8(&body).expect("a job answer is text"),
                )
                .expect("a job answer is a job document");
                assert_eq!(memory.job_id.as_deref(), Some(job.job_id.as_str()));
            }
            PathChoice::MetadataToken => {
                memory.metadata_token = Some(String::from_utf8_lossy(&body).into_owned());
            }
            PathChoice::SecurityKey => {
                let doc: serde_json::Value =
                    serde_json::from_slice(&body).expect("the security key answer is JSON");
                let c = &doc["credential"];
                if let (Some(a), Some(s), Some(t)) = (
                    c["access"].as_str(),
                    c["secret"].as_str(),
                    c["securitytoken"].as_str(),
                ) {
                    memory.temporary = Some(Credentials::new(a, s).with_security_token(t));
                }
            }
            _ => {}
        }
    }
});
