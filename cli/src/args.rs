//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Create Huawei Cloud IMS full-ECS images and follow their jobs.
#[derive(Debug, Parser)]
#[command(name = "ims", version, about, long_about = None)]
pub struct Cli {
    /// Options every command shares.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command shares.
#[derive(Debug, Args)]
pub struct Global {
    /// Region, e.g. cn-north-4 (picks the endpoint and names the IAM project).
    #[arg(long, global = true, env = "IMS_REGION", allow_hyphen_values = true)]
    pub region: Option<String>,
    /// Explicit IMS endpoint URL (https, or http on loopback).
    #[arg(long, global = true, env = "IMS_ENDPOINT", allow_hyphen_values = true)]
    pub endpoint: Option<String>,
    /// Project id (default: HUAWEICLOUD_SDK_PROJECT_ID, the profile file, else IAM lookup).
    #[arg(long, global = true, allow_hyphen_values = true)]
    pub project_id: Option<String>,
    /// Profile file (default: HUAWEICLOUD_SDK_CREDENTIALS_FILE or ~/.huaweicloud/credentials).
    #[arg(long, global = true, allow_hyphen_values = true)]
    pub profile_file: Option<PathBuf>,
    /// A PEM file of CAs to trust beside the bundled roots (default: IMS_CA_FILE, else
    /// REQUESTS_CA_BUNDLE, else SSL_CERT_FILE).
    #[arg(long, global = true, value_name = "FILE", allow_hyphen_values = true)]
    pub ca_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Output::Text, allow_hyphen_values = true)]
    pub output: Output,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Readable lines.
    Text,
    /// The API's own JSON (`{"job_id": ...}`, the job document).
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a full-ECS image from an ECS or from a CBR backup.
    CreateWholeImage(CreateArgs),
    /// Show a job, or wait for it to end.
    Job(JobArgs),
    /// Run the local IMS emulator until SIGINT or SIGTERM (first stdout line: its base URL).
    Emulator(EmulatorArgs),
    /// Run the demo against the built-in emulator (no credentials, no network).
    Demo(DemoArgs),
}

/// `ims create-whole-image`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Image name (1-128 characters).
    #[arg(
        long,
        required_unless_present = "request_file",
        allow_hyphen_values = true
    )]
    pub name: Option<String>,
    /// Source ECS id (with --vault-id).
    #[arg(
        long,
        requires = "vault_id",
        conflicts_with = "backup_id",
        allow_hyphen_values = true
    )]
    pub instance_id: Option<String>,
    /// CBR vault the ECS is in or will be added to (with --instance-id).
    #[arg(long, requires = "instance_id", allow_hyphen_values = true)]
    pub vault_id: Option<String>,
    /// Source CBR backup id.
    #[arg(long, allow_hyphen_values = true)]
    pub backup_id: Option<String>,
    /// Image description (at most 1024 characters).
    #[arg(long, allow_hyphen_values = true)]
    pub description: Option<String>,
    /// Image tag KEY=VALUE (sent as image_tags); repeatable.
    #[arg(long = "tag", value_name = "KEY=VALUE", allow_hyphen_values = true)]
    pub tags: Vec<String>,
    /// Legacy tag KEY.VALUE (sent as tags); repeatable; not with --tag.
    #[arg(
        long = "legacy-tag",
        value_name = "KEY.VALUE",
        conflicts_with = "tags",
        allow_hyphen_values = true
    )]
    pub legacy_tags: Vec<String>,
    /// Minimum memory in MB.
    #[arg(long, value_name = "MB", allow_hyphen_values = true)]
    pub min_ram: Option<i64>,
    /// Maximum memory in MB.
    #[arg(long, value_name = "MB", allow_hyphen_values = true)]
    pub max_ram: Option<i64>,
    /// Enterprise project id ("0" or a UUID).
    #[arg(long, allow_hyphen_values = true)]
    pub enterprise_project_id: Option<String>,
    /// The documented JSON body instead of the flags ("-" reads stdin).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["name", "instance_id", "vault_id", "backup_id", "description", "tags", "legacy_tags", "min_ram", "max_ram", "enterprise_project_id"], allow_hyphen_values = true)]
    pub request_file: Option<String>,
    /// Validate and print the request that would be sent (secrets redacted); send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Wait for the job to end, showing progress.
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this many seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 3600,
        allow_hyphen_values = true
    )]
    pub timeout: u64,
    /// Seconds between polls while waiting (first delay and growth are derived from it).
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    pub interval: Option<f64>,
}

/// `ims job`.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// The job id (as printed by create-whole-image).
    pub job_id: String,
    /// Wait for the job to end, showing progress.
    #[arg(long)]
    pub wait: bool,
    /// Use the legacy GET /v1/{project_id}/jobs/{job_id}.
    #[arg(long)]
    pub legacy_endpoint: bool,
    /// Give up waiting after this many seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 3600,
        allow_hyphen_values = true
    )]
    pub timeout: u64,
    /// Seconds between polls while waiting.
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    pub interval: Option<f64>,
}

/// `ims emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:0", allow_hyphen_values = true)]
    pub listen: std::net::SocketAddr,
    /// Accepted access key (default: HUAWEICLOUD_SDK_AK, else the demo pair).
    #[arg(long, requires = "sk", allow_hyphen_values = true)]
    pub ak: Option<String>,
    /// Secret key of --ak.
    #[arg(long, requires = "ak", allow_hyphen_values = true)]
    pub sk: Option<String>,
    /// Project id the emulator serves.
    #[arg(long, allow_hyphen_values = true)]
    pub project_id: Option<String>,
    /// Region the emulator serves (names its IAM project).
    #[arg(long, allow_hyphen_values = true)]
    pub region: Option<String>,
    /// Seconds a job takes (0: done at once).
    #[arg(long, default_value_t = 3.0, allow_hyphen_values = true)]
    pub job_seconds: f64,
    /// Probability (0-1) that a job ends in FAIL.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub fail_rate: f64,
    /// Prefix of gateway error codes: APIGW (default) or APIG.
    #[arg(long, value_name = "PREFIX", default_value = "APIGW")]
    pub gateway_prefix: String,
    /// Refuse every signed request as "signature expired" (clock tests).
    #[arg(long)]
    pub always_expired: bool,
    /// Refuse a request whose X-Sdk-Date is more than this many seconds from the emulator's
    /// clock (default: the documented 900).
    #[arg(long, value_name = "SECS")]
    pub signature_window_secs: Option<u32>,
    /// Send exactly this Date header text on every answer (any text, for hostile-clock tests).
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub date_override: Option<String>,
    /// Give Retry-After of throttling answers as an HTTP date instead of seconds.
    #[arg(long)]
    pub retry_after_http_date: bool,
    /// Close keep-alive connections idle longer than this many milliseconds (as balancers do).
    #[arg(long, value_name = "MS")]
    pub idle_close_ms: Option<u64>,
    /// Answer with `Connection: close` and close each connection after its answer.
    #[arg(long)]
    pub close_after_answer: bool,
    /// Echo the canonical request verbatim (security token included) on a signature
    /// mismatch, as the real gateway does.
    #[arg(long)]
    pub echo_unredacted: bool,
    /// Private images allowed in the region: a create while this many exist is refused
    /// (IMG.0015).
    #[arg(long, value_name = "N", default_value_t = ims_emulator::DEFAULT_IMAGE_QUOTA)]
    pub image_quota: u32,
    /// Image-creation jobs allowed to run at once: a create beyond is refused (IMG.0060).
    #[arg(long, value_name = "N", default_value_t = ims_emulator::DEFAULT_MAX_CONCURRENT_JOBS)]
    pub max_concurrent_jobs: u32,
    /// Seconds before a new image appears in GET /v2/cloudimages (the list lagging behind).
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 0.0,
        allow_hyphen_values = true
    )]
    pub list_delay: f64,
    /// Seconds a deleted image stays listed before it is gone.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 1.0,
        allow_hyphen_values = true
    )]
    pub delete_delay: f64,
    /// Probability (0-1) that a create is handled (image and job made) and its connection
    /// then closed without an answer.
    #[arg(
        long,
        value_name = "R",
        default_value_t = 0.0,
        allow_hyphen_values = true
    )]
    pub drop_after_create_rate: f64,
    /// Probability (0-1) that a create is answered 429 APIGW.0308 (Retry-After: 1) unhandled.
    #[arg(
        long,
        value_name = "R",
        default_value_t = 0.0,
        allow_hyphen_values = true
    )]
    pub throttle_rate: f64,
    /// Seed of the random draws of --fail-rate, --drop-after-create-rate and --throttle-rate.
    #[arg(long, value_name = "N")]
    pub fault_seed: Option<u64>,
    /// Security token the accepted AK/SK needs (temporary credentials; a test value only).
    #[arg(long, value_name = "TOKEN", allow_hyphen_values = true)]
    pub security_token: Option<String>,
    /// Serve HTTPS, with a CA and a server certificate made at start-up (the first stdout line
    /// is then an https:// URL).
    #[arg(long)]
    pub tls: bool,
    /// Write the CA's PEM to FILE before the URL is printed (needs --tls or
    /// --tls-certificate).
    #[arg(long, value_name = "FILE", allow_hyphen_values = true)]
    pub ca_out: Option<PathBuf>,
    /// The server certificate to present: valid, other-host (for another host name) or
    /// expired; implies --tls.
    #[arg(long, value_name = "KIND", allow_hyphen_values = true)]
    pub tls_certificate: Option<String>,
}

/// `ims demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seconds each demo job takes.
    #[arg(long, default_value_t = 3.0, allow_hyphen_values = true)]
    pub job_seconds: f64,
}
