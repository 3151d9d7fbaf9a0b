//! Shared test helpers: start an emulator, build and send requests signed with the core signer.
#![allow(dead_code)]

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use ims_core::Credentials;
use ims_core::sign::{Algorithm, SdkDate, SignableRequest, SigningParams, sign};
use ims_emulator::{DEMO_AK, DEMO_PROJECT_ID, DEMO_SK, Emulator, EmulatorConfig};
use reqwest::blocking::Client;
use serde_json::Value;

/// A demo emulator with jobs of `job_ms` milliseconds.
pub fn start_with(job_ms: u64) -> Emulator {
    start(EmulatorConfig::demo().with_job_duration(Duration::from_millis(job_ms)))
}

/// An emulator from `cfg`.
pub fn start(cfg: EmulatorConfig) -> Emulator {
    Emulator::start(cfg).expect("emulator starts")
}

/// The demo credentials.
pub fn demo_creds() -> Credentials {
    Credentials::new(DEMO_AK, DEMO_SK)
}

/// A fresh HTTP client (its own connection pool).
pub fn new_client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn shared_client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(new_client)
}

/// A request to send; defaults: demo credentials, SDK-HMAC-SHA256, date now, `X-Project-Id`
/// of the demo project, JSON content type when there is a body.
#[derive(Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub creds: Option<Credentials>,
    pub algorithm: Algorithm,
    pub date_offset_secs: i64,
    pub project: Option<String>,
    pub region: String,
    pub service: String,
    /// Replaces the body after signing (tampering).
    pub send_body: Option<Vec<u8>>,
    /// Headers removed after signing.
    pub drop_headers: Vec<String>,
    pub client: Option<Client>,
}

impl Call {
    pub fn new(method: &str, path: &str) -> Self {
        Call {
            method: method.to_owned(),
            path: path.to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            creds: Some(demo_creds()),
            algorithm: Algorithm::SdkHmacSha256,
            date_offset_secs: 0,
            project: Some(DEMO_PROJECT_ID.to_owned()),
            region: "cn-north-4".to_owned(),
            service: "ims".to_owned(),
            send_body: None,
            drop_headers: Vec::new(),
            client: None,
        }
    }

    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }

    pub fn post(path: &str, body: impl Into<Vec<u8>>) -> Self {
        let mut c = Self::new("POST", path);
        c.body = body.into();
        c.headers.push((
            "Content-Type".to_owned(),
            "application/json;charset=UTF-8".to_owned(),
        ));
        c
    }

    /// `POST /v1/cloudimages/wholeimages/action` with `body`.
    pub fn create(body: impl Into<Vec<u8>>) -> Self {
        Self::post(ims_emulator::CREATE_PATH, body)
    }

    /// `GET /v1/cloudimages/job/{id}`.
    pub fn job(id: &str) -> Self {
        Self::get(&format!("/v1/cloudimages/job/{id}"))
    }

    /// `GET /v1/{project}/jobs/{id}`.
    pub fn legacy_job(project: &str, id: &str) -> Self {
        Self::get(&format!("/v1/{project}/jobs/{id}"))
    }

    pub fn creds(mut self, creds: Credentials) -> Self {
        self.creds = Some(creds);
        self
    }
    pub fn unsigned(mut self) -> Self {
        self.creds = None;
        self
    }
    pub fn algorithm(mut self, a: Algorithm) -> Self {
        self.algorithm = a;
        self
    }
    pub fn date_offset(mut self, secs: i64) -> Self {
        self.date_offset_secs = secs;
        self
    }
    pub fn project(mut self, p: Option<&str>) -> Self {
        self.project = p.map(str::to_owned);
        self
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }
    pub fn query(mut self, k: &str, v: &str) -> Self {
        self.query.push((k.to_owned(), v.to_owned()));
        self
    }
    pub fn tamper_body(mut self, b: impl Into<Vec<u8>>) -> Self {
        self.send_body = Some(b.into());
        self
    }
    pub fn drop_header(mut self, name: &str) -> Self {
        self.drop_headers.push(name.to_ascii_lowercase());
        self
    }
    pub fn client(mut self, c: &Client) -> Self {
        self.client = Some(c.clone());
        self
    }

    /// Builds the signed request (method, URL, headers, body).
    pub fn build(&self, emu: &Emulator) -> reqwest::blocking::RequestBuilder {
        let host = emu.host();
        let mut headers: Vec<(String, String)> = self.headers.clone();
        if let Some(p) = &self.project {
            headers.push(("X-Project-Id".to_owned(), p.clone()));
        }
        let query: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (mut send_headers, uri) = match &self.creds {
            Some(creds) => {
                let hdrs: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let now = SdkDate::from_system_time(SystemTime::now()).expect("date");
                let date = SdkDate::from_unix(now.unix() + self.date_offset_secs).expect("date");
                let out = sign(
                    &SignableRequest {
                        method: &self.method,
                        host: &host,
                        path: &self.path,
                        query: &query,
                        headers: &hdrs,
                        body: &self.body,
                    },
                    &SigningParams {
                        credentials: creds,
                        algorithm: self.algorithm,
                        date,
                        region: Some(&self.region),
                        service: Some(&self.service),
                    },
                )
                .expect("signs");
                let mut h: Vec<(String, String)> = out
                    .headers
                    .into_iter()
                    .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                h.push(("Authorization".to_owned(), out.authorization));
                (h, out.wire_uri)
            }
            None => {
                let mut q = String::new();
                for (i, (k, v)) in self.query.iter().enumerate() {
                    if i > 0 {
                        q.push('&');
                    }
                    q.push_str(&ims_core::sign::encode::encode(k));
                    q.push('=');
                    q.push_str(&ims_core::sign::encode::encode(v));
                }
                let uri = if q.is_empty() {
                    self.path.clone()
                } else {
                    format!("{}?{q}", self.path)
                };
                (headers, uri)
            }
        };
        send_headers.retain(|(k, _)| !self.drop_headers.contains(&k.to_ascii_lowercase()));
        let client = self
            .client
            .clone()
            .unwrap_or_else(|| shared_client().clone());
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("method");
        let mut rb = client.request(method, format!("{}{}", emu.url(), uri));
        for (k, v) in send_headers {
            rb = rb.header(k, v);
        }
        let body = self.send_body.clone().unwrap_or_else(|| self.body.clone());
        if !body.is_empty() || self.method == "POST" {
            rb = rb.body(body);
        }
        rb
    }

    /// Sends it and reads the whole answer.
    pub fn send(&self, emu: &Emulator) -> Resp {
        let resp = self.build(emu).send().expect("request sent");
        Resp::read(resp)
    }

    /// Sends it and returns the transport outcome.
    pub fn try_send(&self, emu: &Emulator) -> Result<Resp, reqwest::Error> {
        let resp = self.build(emu).send()?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes()?.to_vec();
        Ok(Resp::from_parts(status, headers, body))
    }
}

/// A whole answer.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
    pub json: Value,
}

impl Resp {
    pub fn read(resp: reqwest::blocking::Response) -> Self {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().expect("body").to_vec();
        Self::from_parts(status, headers, body)
    }

    fn from_parts(status: u16, headers: reqwest::header::HeaderMap, body: Vec<u8>) -> Self {
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            json,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The IMS error code (`error.code`) or the gateway code (`error_code`).
    pub fn code(&self) -> &str {
        self.json["error"]["code"]
            .as_str()
            .or_else(|| self.json["error_code"].as_str())
            .unwrap_or("")
    }

    /// The IMS or gateway error message.
    pub fn message(&self) -> &str {
        self.json["error"]["message"]
            .as_str()
            .or_else(|| self.json["error_msg"].as_str())
            .unwrap_or("")
    }

    pub fn job_id(&self) -> String {
        self.json["job_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no job_id in {} {}", self.status, self.text()))
            .to_owned()
    }
}

pub const INSTANCE: &str = "877a2cda-ba63-4e1e-b95f-e67e48b6129a";
pub const VAULT: &str = "de9fcf45-11b2-432c-8562-5c5428574600";
pub const BACKUP: &str = "4b5f1a2e-0c1d-4e5f-8a9b-0c1d2e3f4a5b";

/// A create body from an ECS.
pub fn ecs_body(name: &str) -> String {
    serde_json::json!({"name": name, "instance_id": INSTANCE, "vault_id": VAULT}).to_string()
}

/// A create body from a backup.
pub fn backup_body(name: &str, backup_id: &str) -> String {
    serde_json::json!({"name": name, "backup_id": backup_id, "whole_image_type": "CBR"}).to_string()
}

/// Whether `s` is 32 lowercase hex digits.
pub fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}
