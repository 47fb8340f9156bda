//! Command line of `harness-gitops-emulator`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{AgentVersion, Config};
use crate::secret::Secret;

/// What the command line asks for.
// Built once per process: boxing the Config would only change the public shape.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Command {
    /// `--help`: print [`USAGE`] and exit 0.
    Help,
    /// Run the emulator.
    Run(Config),
}

/// A command line that cannot be used; the message says which option and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct UsageError(pub String);

/// `--help` text.
pub const USAGE: &str = "\
harness-gitops-emulator: a local emulator of the Harness GitOps REST API (agents,
repositories, clusters, applications, ApplicationSets) for trying and testing the Terraform
provider. It is a test tool.

USAGE:
  harness-gitops-emulator --api-key KEY --account-id ACC [OPTIONS]

OPTIONS:
  --listen ADDR            address to listen on (default 127.0.0.1:0 = any free port).
                           Only loopback addresses unless --allow-remote.
  --allow-remote           allow a non-loopback --listen address (the admin API still only
                           answers loopback clients)
  --api-key KEY            the only accepted x-api-key header value (required); the admin
                           API needs it too
  --account-id ACC         the only accepted accountIdentifier (required)
  --data FILE              persist all state to FILE (JSON) after every change, before the
                           response; reloaded at start. SECRETS ARE STORED IN CLEAR in this
                           file (mode 0600). Without --data, state is in memory only.
  --sync-delay D           time one sync operation takes (default 2s)
  --delete-delay D         time a cascading delete of an application with the
                           resources-finalizer.argocd.argoproj.io finalizer takes before the
                           application is gone (default 2s; 0: at once)
  --latency D              delay every API request by D (default 0s)
  --fault-rate R           share (0..1) of API requests failed before any state change with
                           503 (code 14), 429 (Retry-After: 1) or a dropped connection
  --fault-after-rate R     share (0..1) of API requests that are applied and then get their
                           connection dropped without a response (default 0)
  --seed N                 seed of the fault sequence (default random, logged at start)
  --git-tree FILE          what the ApplicationSet git generator sees (no network): JSON
                           {\"<repoURL>\": {\"<revision>\": [\"dir/path\", {\"path\": \"dir/f.json\",
                           \"content\": \"<JSON text>\"}]}}: a string is a directory, an object a
                           file (its directories exist too); revision \"HEAD\" serves an empty
                           or absent generator revision. Replaced at run time by
                           POST /_emulator/git-tree
  --agent-heartbeat-timeout D
                           an agent reads DISCONNECTED once no heartbeat arrived for D
                           (default 15s)
  --agent-version X.Y.Z    the latest GitOps agent version (default 0.101.0): the image tag
                           of new manifests; an agent whose last heartbeat reported an older
                           version reads upgradeAvailable true. Changed at run time by
                           POST /_emulator/agent-version.
  -h, --help               print this help

Durations: a whole number with unit ms, s, m or h (500ms, 2s, 1m); 0 alone means none.

OUTPUT:
  The first stdout line is `LISTENING http://HOST:PORT` once connections are accepted.
  Logs go to stderr (never secrets). SIGTERM or SIGINT stops the emulator (exit 0). Usage
  errors exit 2, start-up failures exit 1.

API (as the Harness gateway serves it; x-api-key and accountIdentifier required):
  /gitops/api/v1/agents/{agent}/repositories[/{identifier}]   POST GET | GET PUT DELETE
  /gitops/api/v1/agents/{agent}/repositories/validate         POST
  /gitops/api/v1/agents/{agent}/repocreds[/{identifier}]      POST | GET PUT DELETE
  /gitops/api/v1/agents/{agent}/repocreds/get                 POST (template for a URL)
  /gitops/api/v1/repocreds                                    POST (template list; scope in the body)
  /gitops/api/v1/agents/{agent}/clusters[/{identifier}]       POST GET | GET PUT DELETE
  /gitops/api/v1/agents/{agent}/applications[/{name}]         POST GET | GET PUT DELETE
  /gitops/api/v1/agents/{agent}/applications/{name}/sync      POST
  /gitops/api/v1/agents[/{identifier}]                        POST GET | GET PUT DELETE
  /gitops/api/v1/agents/{identifier}/unique                   GET
  /gitops/api/v1/agents/{identifier}/credentials              POST (new token)
  /gitops/api/v1/agents/{identifier}/deploy.yaml              GET  (application/yaml)
  /gitops/api/v1/agents/{identifier}/deployment-spec/yaml     POST (application/yaml)
  /gitops/api/v1/agents/{identifier}/helm-overrides           GET POST (application/yaml)
  Agents take their scope from orgIdentifier/projectIdentifier (query; create/update and
  the POST manifest calls: the body); prefixedIdentifier is account.<id>, org.<id> or <id>.
  /gitops/agent/v1/heartbeat  POST, the agent-facing side (see CONVENTIONS; no x-api-key)
  /gitops/api/v1/applicationset                               POST (create) PUT (update)
  /gitops/api/v1/applicationset/{identifier}                  GET DELETE (the set's UUID)
  /gitops/api/v1/applicationset/generate                      POST (dry run: the apps)
  /gitops/api/v1/applicationsets                              POST (list; scope in the body)
  ApplicationSets are project-scoped; their agent is the agentIdentifier query parameter.
  Agent ids carry their scope: account.<id>, org.<id> (needs orgIdentifier) or a bare <id>
  (project agent: needs orgIdentifier and projectIdentifier).

CONVENTIONS:
  * ApplicationSets are run at once by an emulated controller: generators list, clusters
    (the agent's clusters), git (the --git-tree listing: directories with exclude, JSON
    files), matrix (two children), merge (mergeKeys), selector; {{param}} templates or, with
    goTemplate, {{ .a.b }}, index, default, upper, lower, printf, missingkey=error. The
    generated applications are real, owned by the set, synced like others; update
    regenerates per syncPolicy.applicationsSync; delete cascades unless
    preserveResourcesOnDeletion. scmProvider, pullRequest, clusterDecisionResource, plugin
    and templatePatch give an ErrorOccurred condition. Nesting deeper than Argo CD's
    (a matrix/merge in a matrix/merge in a matrix/merge) is refused (400).
  * A repository URL or cluster server whose host ends in .invalid (RFC 2606) reports
    connection status Failed (DNS error); every other non-loopback host is Successful,
    and such clusters report serverVersion 1.30.
  * A repository without credentials of its own whose URL starts with a credential
    template's url (same type and agent instance; longest prefix wins) reports
    inheritedCreds true: Successful when the template holds a complete method (username
    and password, SSH key, TLS cert and key, GitHub App key and ids), else Failed
    (authentication required).
  * A cluster whose server is on loopback (127.0.0.0/8, localhost, [::1]) is checked for
    real on every read, as an agent would: GET /version and GET /api with config.bearerToken
    (else username/password; IRSA/EXEC_PROVIDER: no token), tlsClientConfig caData (base64
    PEM; the only trusted CA), insecure, serverName, certData/keyData; within 5 s. Failed
    with client-go's message otherwise (401: the server has asked for the client to provide
    credentials; TLS: x509: ...; connection refused). serverVersion is major.minor of
    /version. secretExpressions are resolved from the emulated secret manager
    (POST /_emulator/secrets); one it lacks makes a loopback cluster report Failed, saying so.
  * Applications (Argo CD's rules): with spec.syncPolicy.automated, a create, or a spec
    change or drift that changes what is deployed (sources, destination, revisions), starts
    an automated sync; it takes --sync-delay (operationState.phase Running, health
    Progressing), then Synced/Healthy. Without it the application stays
    OutOfSync (health Missing before its first sync) until POST .../{name}/sync, which runs
    for --sync-delay. status.reconciledAt moves only when a reconcile completes: at the end
    of a sync, or at once when a change needs no sync; an update that leaves the spec as it
    is starts nothing. If a source path contains \"fail-sync\", the sync ends Failed
    (OutOfSync/Degraded, a SyncError condition); with syncPolicy.retry.limit N it fails
    after N+1 attempts of --sync-delay each; a change back to what is deployed is
    Synced/Healthy at once. history keeps revisionHistoryLimit (10) syncs.
  * DELETE of an application with the resources-finalizer.argocd.argoproj.io finalizer,
    cascading (request.cascade absent or true): metadata.deletionTimestamp is set, GET still
    answers, a create of the same name is 409, and it is gone after --delete-delay.
    request.cascade=false, options.removeExistingFinalizers=true, options.forceDelete=true
    (the Go SDK's), or no finalizer: gone at once. (Argo CD's own API adds the finalizer on
    every cascading delete; the emulator does not.)
  * DELETE of a cluster or repository that applications use (those being deleted
    included) is refused: 400 code 9 \"cluster is used by N application(s)\" (likewise
    \"repository is used by ...\"), unless forceDelete=true.
  * Application status: resources lists a Deployment (apps/v1) and a Service (v1) named
    after the application in the destination namespace (Missing before the first sync);
    summary.externalURLs holds the application's link.argocd.argoproj.io/external-link
    annotation (comma-separated) once deployed.
  * Not emulated: resource trees, sync windows, live-cluster drift (selfHeal), backoff
    durations; Argo CD's intermediate refresh before an automated sync is not reported.
  * Agents: create answers credentials.privateKey (the agent token, random base64); GET
    answers credentials only with withCredentials=true; POST .../credentials rotates it.
    update applies only tags, metadata (whole), description and type. list: paged
    (pageSize default 10), filters identifier, name, type, searchTerm (identifier or name
    contains, any case). version (major/minor/patch, int64 as strings, zeros omitted) is
    that of the agent's last heartbeat, absent before the first (or when the heartbeat's
    version is not MAJOR.MINOR.PATCH); upgradeAvailable is true when that version is older
    (semver) than the latest agent version (--agent-version, POST /_emulator/agent-version).
  * Agent manifests (deploy.yaml, deployment-spec/yaml, helm-overrides): privateKey equal to
    the current token embeds it unchanged; no privateKey REGENERATES the token (Harness's
    behaviour: a running agent is locked out) and embeds the new one; another privateKey is
    refused (400 code 3). namespace (else metadata.namespace) is required. The manifest is
    multi-document YAML: CRDs (MANAGED_ARGO_PROVIDER, unless skipCrds), ServiceAccount/Role/
    RoleBinding gitops-agent, ClusterRole/Binding <identifier> (unless metadata.isNamespaced),
    Secret gitops-agent (GITOPS_AGENT_TOKEN), Secret <identifier>-ca (ca.bundle, with caData),
    ConfigMap gitops-agent (identity, AGENT_HTTP_TARGET = this emulator's URL + /gitops,
    GITOPS_AGENT_AVAILABILITY_MODE HA/NON-HA, the GITOPS_ARGOCD_* names, proxy variables),
    Deployment gitops-agent (harness/gitops-agent:v<latest agent version>, also in
    GITOPS_AGENT_VERSION, 2 replicas when HA); managed
    agents add Argo CD (repo server, redis, applicationset controller, server, the
    application controller StatefulSet, Services, argocd-* ConfigMaps, argocd-secret,
    NetworkPolicies, CronJob gitops-agent-upgrader). Helm overrides: harness.identity.*,
    harness.secrets.agentSecret, harness.configMap.http.agentHttpTarget,
    agent.image.repository (harness/gitops-agent), agent.image.tag (v<latest agent version>).
    The version is the latest when the manifest is served: fetch it again after a bump.
  * Agent heartbeat (emulator convention; the real agent protocol is not public):
    POST /gitops/agent/v1/heartbeat, header Authorization: Bearer <agent token>, body
    {\"accountIdentifier\", \"orgIdentifier\", \"projectIdentifier\", \"agentIdentifier\",
    \"version\": \"0.101.0\" (the running image's tag without v), \"components\":
    {\"harnessGitopsAgent\": {\"status\": \"HEALTHY|UNHEALTHY\", \"message\": m},
    \"argoRepoServer\", \"argoAppController\", \"argoRedisServer\", \"argoAppSetController\"}}.
    200 {} with the current token; 401 code 16
    \"This is an unauthorized agent\" otherwise; 404 code 5 for an unknown agent. It sets
    health.lastHeartbeat (RFC 3339), the components and connectionStatus CONNECTED; after
    --agent-heartbeat-timeout without one, DISCONNECTED; before the first,
    CONNECTED_STATUS_UNSET and no components. It also sets the agent's version (above).
  * Secrets come back masked as ******** (bytes fields: KioqKioqKio=, its base64); sending
    the mask back in an update keeps the stored secret.
  * Bodies and query parameters must match the Harness GitOps OpenAPI document exactly
    (unknown keys, wrong types, null, int64 as a JSON number: 400 code 3 naming the field);
    routingId (sent by the Go SDK) is accepted and must equal accountIdentifier; so are the
    SDK's cluster secretExpressions and application options.forceDelete.
    Responses are protobuf JSON: zero values (\"\", false, 0, empty lists/maps) are omitted.

ADMIN API (tests only; x-api-key required; loopback clients and a loopback Host header
only (localhost, 127.0.0.0/8, [::1]); never delayed or faulted; secrets masked unless
?secrets=clear):
  GET    /_emulator/state      everything: {repositories:[...], clusters:[...],
                               applications:[...], agents:[...]} (clusters with
                               secretExpressions, repositories with their generators,
                               agents with credentials)
  GET    /_emulator/git-tree   the ApplicationSet git generator's tree (see --git-tree)
  POST   /_emulator/git-tree   {\"<repoURL>\": {\"<revision>\": [paths...]}}: replaces it (a reset
                               returns to --git-tree's)
  GET    /_emulator/requests   counters: {\"requests\": {op: n}, \"applied\": {op: n},
                               \"faults\": {\"before.unavailable\": n, \"before.tooManyRequests\": n,
                               \"before.drop\": n, \"after.drop\": n, \"armed.<op>.<kind>\": n},
                               \"armedPending\": n, \"connections\": n}
  POST   /_emulator/reset      forget all entities, counters and armed faults; the latest
                               agent version returns to --agent-version
  GET    /_emulator/agent-version
                               {\"version\": \"0.101.0\"}: the latest agent version
  POST   /_emulator/agent-version  {\"version\": \"0.102.0\"} (MAJOR.MINOR.PATCH, any, older
                               included; 400 code 3 otherwise): makes it the latest agent
                               version (new manifests, upgradeAvailable); persisted with
                               --data, where it wins over --agent-version at restart
  POST   /_emulator/faults     arm one fault for one request: {\"op\": \"repositories.update\",
                               \"skip\": n (default 0), \"error\": {\"status\": 400, \"message\": m}}
                               answers that error with nothing changed; {\"op\": ..., \"skip\": n,
                               \"dropAfter\": true} applies the request, then drops the connection
                               without a response. It fires once, on the (skip+1)-th request of
                               op (a counter name) that passes the random faults; counted in
                               faults as \"armed.<op>.error\" / \"armed.<op>.dropAfter\";
                               \"armedPending\" counts those not fired yet;
                               {\"op\": \"agents.deployYaml.post\" (or .get,
                               agents.helmOverrides.get/.post), \"rotateAgentTokenAfterManifest\":
                               true} serves the manifest, then rotates that agent's token (an
                               installed agent with a bad token)
  DELETE /_emulator/faults     disarm every pending armed fault
  POST   /_emulator/secrets    {\"reference\": \"account.k8s_token\", \"value\": v}: a secret of the
                               emulated Harness secret manager (memory only); the agent
                               resolves cluster secretExpressions (a reference or
                               <+secrets.getValue(\"ref\")>) with it before connecting
  PATCH  /_emulator/{repositories|clusters|applications}?accountIdentifier=&orgIdentifier=
         &projectIdentifier=&agentIdentifier=&identifier= (applications: name=)
                               JSON merge patch (RFC 7386) on the stored Argo object (drift)
  DELETE /_emulator/{repositories|clusters|applications}?...  same key; delete behind the
                               client's back (at once)
";

/// Parses a duration: a whole number with unit `ms`, `s`, `m` or `h`; `0` alone is zero.
///
/// # Errors
/// [`UsageError`] naming the option and the accepted forms.
pub fn parse_duration(option: &str, s: &str) -> Result<Duration, UsageError> {
    let bad = || {
        UsageError(format!(
            "{option}: \"{s}\" is not a duration; use e.g. 500ms, 2s, 1m"
        ))
    };
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let ms = match unit {
        "ms" => Some(n),
        "s" => n.checked_mul(1_000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => None,
    };
    ms.map(Duration::from_millis).ok_or_else(bad)
}

fn parse_rate(option: &str, s: &str) -> Result<f64, UsageError> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(UsageError(format!(
            "{option}: \"{s}\" is not a share between 0 and 1 (e.g. 0.2)"
        ))),
    }
}

/// Parses the arguments after the program name.
///
/// # Errors
/// [`UsageError`] for unknown options, missing values, missing `--api-key`/`--account-id`,
/// bad numbers, and a non-loopback `--listen` without `--allow-remote`.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, UsageError> {
    let mut api_key = None;
    let mut account = None;
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut allow_remote = false;
    let mut data = None;
    let mut sync_delay = Duration::from_secs(2);
    let mut delete_delay = Duration::from_secs(2);
    let mut latency = Duration::ZERO;
    let mut agent_heartbeat_timeout = Duration::from_secs(15);
    let mut fault_rate = 0.0;
    let mut fault_after_rate = 0.0;
    let mut seed = None;
    let mut agent_version = AgentVersion::DEFAULT;
    let mut git_trees = std::collections::BTreeMap::new();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if name == "-h" || name == "--help" {
            return Ok(Command::Help);
        }
        if name == "--allow-remote" {
            allow_remote = true;
            continue;
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| UsageError(format!("{name} needs a value")))
        };
        match name.as_str() {
            "--listen" => {
                let v = value()?;
                listen = v.parse().map_err(|_| {
                    UsageError(format!("--listen: \"{v}\" is not an IP:PORT address"))
                })?;
            }
            "--api-key" => api_key = Some(value()?),
            "--account-id" => account = Some(value()?),
            "--data" => data = Some(PathBuf::from(value()?)),
            "--sync-delay" => sync_delay = parse_duration("--sync-delay", &value()?)?,
            "--delete-delay" => delete_delay = parse_duration("--delete-delay", &value()?)?,
            "--latency" => latency = parse_duration("--latency", &value()?)?,
            "--agent-heartbeat-timeout" => {
                agent_heartbeat_timeout = parse_duration("--agent-heartbeat-timeout", &value()?)?
            }
            "--fault-rate" => fault_rate = parse_rate("--fault-rate", &value()?)?,
            "--fault-after-rate" => fault_after_rate = parse_rate("--fault-after-rate", &value()?)?,
            "--agent-version" => {
                agent_version = value()?
                    .parse()
                    .map_err(|e| UsageError(format!("--agent-version: {e}")))?;
            }
            "--git-tree" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| UsageError(format!("--git-tree: cannot read {path}: {e}")))?;
                let v: serde_json::Value = serde_json::from_str(&text)
                    .map_err(|e| UsageError(format!("--git-tree: {path} is not JSON: {e}")))?;
                git_trees = crate::appsets::parse_git_trees(&v)
                    .map_err(|e| UsageError(format!("--git-tree: {path}: {e}")))?;
            }
            "--seed" => {
                let v = value()?;
                seed =
                    Some(v.parse().map_err(|_| {
                        UsageError(format!("--seed: \"{v}\" is not a whole number"))
                    })?);
            }
            _ => return Err(UsageError(format!("unknown option {name}"))),
        }
    }
    let api_key = api_key
        .filter(|k| !k.is_empty())
        .ok_or_else(|| UsageError("--api-key is required".into()))?;
    let account_id = account
        .filter(|a| !a.is_empty())
        .ok_or_else(|| UsageError("--account-id is required".into()))?;
    if !listen.ip().is_loopback() && !allow_remote {
        return Err(UsageError(format!(
            "--listen {listen} is not a loopback address; the emulator accepts any request with the test key, \
             so pass --allow-remote if you really want that"
        )));
    }
    Ok(Command::Run(Config {
        listen,
        allow_remote,
        api_key: Secret::new(api_key),
        account_id,
        data,
        sync_delay,
        delete_delay,
        latency,
        fault_rate,
        fault_after_rate,
        seed,
        agent_heartbeat_timeout,
        agent_version,
        git_trees,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("x", "500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(parse_duration("x", "2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("x", "1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("x", "0").unwrap(), Duration::ZERO);
        for bad in ["", "2", "s", "1.5s", "-1s", "2d"] {
            assert!(parse_duration("--latency", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn agent_heartbeat_timeout() {
        let run = |a: &str| match parse(args(a)) {
            Ok(Command::Run(c)) => c,
            other => panic!("{other:?}"),
        };
        let c = run("--api-key K --account-id A");
        assert_eq!(c.agent_heartbeat_timeout, Duration::from_secs(15));
        let c = run("--api-key K --account-id A --agent-heartbeat-timeout 500ms");
        assert_eq!(c.agent_heartbeat_timeout, Duration::from_millis(500));
        assert!(parse(args(
            "--api-key K --account-id A --agent-heartbeat-timeout x"
        ))
        .is_err());
    }

    #[test]
    fn agent_version() {
        let run = |a: &str| match parse(args(a)) {
            Ok(Command::Run(c)) => c,
            other => panic!("{other:?}"),
        };
        let c = run("--api-key K --account-id A");
        assert_eq!(c.agent_version, AgentVersion::DEFAULT);
        assert_eq!(c.agent_version.to_string(), "0.101.0");
        let c = run("--api-key K --account-id A --agent-version 0.102.0");
        assert_eq!(c.agent_version.to_string(), "0.102.0");
        let c = run("--api-key K --account-id A --agent-version=1.0.12");
        assert_eq!(
            c.agent_version,
            AgentVersion {
                major: 1,
                minor: 0,
                patch: 12
            }
        );
        for bad in ["v0.102.0", "0.102", "latest", "0.102.0-rc1", "1.2.3.4"] {
            let e = parse(args(&format!(
                "--api-key K --account-id A --agent-version {bad}"
            )))
            .unwrap_err();
            assert!(
                e.0.starts_with("--agent-version:") && e.0.contains(bad),
                "{bad}: {e}"
            );
        }
        assert!(parse(args("--api-key K --account-id A --agent-version"))
            .unwrap_err()
            .0
            .contains("needs a value"));
    }

    #[test]
    fn full_command_line() {
        let Command::Run(c) = parse(args(
            "--listen 127.0.0.1:0 --api-key K --account-id A --data /tmp/x --sync-delay=1s \
             --delete-delay 300ms --latency 50ms --fault-rate 0.2 --fault-after-rate 0.1 --seed 9",
        ))
        .unwrap() else {
            panic!("expected run")
        };
        assert_eq!(c.api_key.expose(), "K");
        assert_eq!(
            (c.account_id.as_str(), c.seed, c.fault_rate),
            ("A", Some(9), 0.2)
        );
        assert_eq!(c.sync_delay, Duration::from_secs(1));
        assert_eq!(c.delete_delay, Duration::from_millis(300));
        assert_eq!(c.data, Some(PathBuf::from("/tmp/x")));
    }

    #[test]
    fn refusals() {
        assert!(matches!(parse(args("--help")), Ok(Command::Help)));
    }

    #[test]
    fn git_tree_file() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("tree.json");
        std::fs::write(
            &good,
            r#"{"https://g/r": {"HEAD": ["apps/a", {"path": "c.json", "content": "{}"}]}}"#,
        )
        .unwrap();
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, r#"{"https://g/r": {"HEAD": [1]}}"#).unwrap();
        let run = |p: &std::path::Path| {
            parse(
                [
                    "--api-key",
                    "k",
                    "--account-id",
                    "a",
                    "--git-tree",
                    p.to_str().unwrap(),
                ]
                .iter()
                .map(|s| s.to_string()),
            )
        };
        match run(&good) {
            Ok(Command::Run(c)) => assert_eq!(c.git_trees["https://g/r"]["HEAD"].len(), 2),
            other => panic!("{other:?}"),
        }
        let e = run(&bad).unwrap_err();
        assert!(
            e.0.contains("--git-tree") && e.0.contains("directory path"),
            "{e}"
        );
        let e = run(&dir.path().join("missing.json")).unwrap_err();
        assert!(e.0.contains("cannot read"), "{e}");
        assert!(parse(args("--account-id A"))
            .unwrap_err()
            .0
            .contains("--api-key"));
        assert!(parse(args("--api-key K --account-id A --listen 0.0.0.0:1"))
            .unwrap_err()
            .0
            .contains("--allow-remote"));
        assert!(parse(args(
            "--api-key K --account-id A --listen 0.0.0.0:1 --allow-remote"
        ))
        .is_ok());
        assert!(parse(args("--api-key K --account-id A --fault-rate 2")).is_err());
        assert!(parse(args("--api-key K --account-id A --bogus"))
            .unwrap_err()
            .0
            .contains("--bogus"));
        assert!(parse(args("--api-key"))
            .unwrap_err()
            .0
            .contains("needs a value"));
    }
}
