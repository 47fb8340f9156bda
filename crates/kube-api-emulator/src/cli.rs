//! Command-line parsing and `--help`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::Config;

pub const USAGE: &str =
    "kube-api-emulator: a local Kubernetes API server emulator (HTTPS on loopback)

USAGE:
  kube-api-emulator [--listen 127.0.0.1:0] [--kubeconfig-out FILE] [--token TOKEN]
                    [--data FILE] [--token-delay 500ms] [--latency 0s]
                    [--agent-heartbeat-interval 1s] [--quiet]

OPTIONS:
  --listen ADDR          Loopback address and port to listen on (default 127.0.0.1:0: a free
                         port). Non-loopback addresses are refused: this is a test tool.
  --kubeconfig-out FILE  Write a kubeconfig (mode 0600) with the cluster (server URL and
                         certificate-authority-data), a user with the admin bearer token, and
                         a current context (default namespace `default`).
  --token TOKEN          The admin bearer token (also KUBE_API_EMULATOR_TOKEN). Default: the
                         one kept in --data, else a new random token.
  --data FILE            Keep all state in FILE (JSON, mode 0600): every change is written
                         atomically (temp file, fsync, rename) before its response; loaded at
                         start. It holds the CA private key and bearer tokens in clear, so a
                         kubeconfig and issued tokens stay valid across restarts: it is a test
                         tool's file, keep it private. Without --data, state is in memory.
  --token-delay D        Delay before the token controller fills a service-account token
                         Secret (default 500ms). Durations: 250ms, 2s, 1.5s, 1m, 0.
  --latency D            Delay every API request by D (for benchmarks; default 0).
  --agent-heartbeat-interval D
                         How often the GitOps agent runner sends each installed agent's
                         heartbeat to Harness (default 1s; 0 disables the runner).
  --quiet                No access log on stderr.
  -h, --help             This text.

OUTPUT:
  The first stdout line is `LISTENING https://127.0.0.1:PORT` once connections are accepted.
  An access log goes to stderr (method, path, status, user; never a token). SIGTERM or
  SIGINT stops the server cleanly.

SERVED API (Kubernetes v1.30 conventions):
  Discovery: /version, /api, /api/v1, /apis, /apis/{group}, /apis/{group}/{version}
  (aggregated discovery apidiscovery.k8s.io/v2 and v2beta1 when the Accept header asks for
  it), /openapi/v3 and its group-version documents (operations only, no field schemas;
  /openapi/v2 is 404), /healthz /livez /readyz (also without credentials).
  Resources: core/v1 namespaces, serviceaccounts, secrets, configmaps, services, pods
  (pods: get, list, watch, delete, deletecollection only; the emulator writes them);
  apps/v1 deployments, statefulsets, daemonsets; batch/v1 cronjobs, jobs;
  networking.k8s.io/v1 networkpolicies, ingresses; policy/v1 poddisruptionbudgets;
  autoscaling/v2 horizontalpodautoscalers; rbac.authorization.k8s.io/v1
  clusterroles, clusterrolebindings, roles, rolebindings;
  apiextensions.k8s.io/v1 customresourcedefinitions, and the custom resources each
  definition registers (discovery included, namespaced or cluster scoped, every served
  version): get, list, watch, create, update, patch (json-patch, merge-patch,
  strategic-merge-patch, apply), delete, deletecollection; a status subresource (get,
  update, patch) for services, the apps/v1, batch, ingress, policy and autoscaling kinds
  (pods: get), definitions and custom resources that
  declare one. Deleting a definition deletes its objects.
  authorization.k8s.io/v1 selfsubjectaccessreviews and selfsubjectrulesreviews,
  authentication.k8s.io/v1 selfsubjectreviews (create).
  Server-side apply: fieldManager required, force; metadata.managedFields per manager
  (Apply and Update entries, fieldsV1); a changed field another manager owns is a 409
  Conflict (Apply failed with 1 conflict: conflict with \"m\": .spec.replicas) unless
  force=true; fields a manager stops applying are removed when nobody else owns them.
  Lists take labelSelector (=, ==, !=, in, notin, exists, !exists, gt, lt), fieldSelector
  (metadata.name, metadata.namespace; Secret type; Namespace status.phase), limit/continue.
  `kubectl get` receives server-side Tables. Errors are Status objects with the API server's
  reasons, codes and messages.

AUTHENTICATION AND AUTHORIZATION:
  Bearer tokens only; requests without one get 401 (except the health endpoints). The admin
  token is user `kubernetes-admin` in `system:masters` (always allowed). Tokens the token
  controller issued authenticate as `system:serviceaccount:NS:NAME` (groups
  system:serviceaccounts, system:serviceaccounts:NS, system:authenticated) and are authorized
  by RBAC (ClusterRoleBindings, RoleBindings; User, Group, ServiceAccount subjects; verbs,
  apiGroups, resources, resourceNames, nonResourceURLs, `*`). Deleting the token Secret or
  the ServiceAccount revokes the token. Escalation is prevented: a Role may only grant, and
  a binding only reference, permissions its author holds (or may `escalate` / `bind`).
  Bootstrap roles exist as on a new cluster:
  cluster-admin, system:discovery, system:basic-user, system:public-info-viewer (bound to
  system:masters / system:authenticated), and admin, edit, view cut down to the served types.

TOKEN CONTROLLER:
  A Secret of type kubernetes.io/service-account-token annotated
  kubernetes.io/service-account.name=SA gets, after --token-delay, data.token, data.ca.crt
  (the emulator CA) and data.namespace, and the annotation kubernetes.io/service-account.uid.
  If the ServiceAccount does not exist, the controller deletes the Secret, as the real one
  does. Deleting a ServiceAccount deletes its token Secrets.

GITOPS AGENT RUNNER (--agent-heartbeat-interval, default 1s; 0 disables):
  The cluster runs a Harness GitOps agent installed into any namespace: when Deployment,
  ConfigMap and Secret `gitops-agent` exist there, every interval it POSTs
  <ConfigMap AGENT_HTTP_TARGET>/agent/v1/heartbeat (http or https; https trusts the PEM in
  Secret <GITOPS_AGENT_IDENTIFIER>-ca key ca.bundle when present, else the system roots)
  with `Authorization: Bearer <Secret GITOPS_AGENT_TOKEN>` and the JSON body
  {accountIdentifier, orgIdentifier, projectIdentifier, agentIdentifier, version (the
  gitops-agent image tag without a leading v), components: {harnessGitopsAgent,
  argoRepoServer, argoAppController, argoRedisServer, argoAppSetController}}; a component is
  HEALTHY when a Deployment or StatefulSet of the namespace is labelled
  app.kubernetes.io/name=<its ConfigMap value (GITOPS_ARGOCD_REPO, ..._APP_CONTROLLER,
  ..._REDIS, ..._APPSET_CONTROLLER)>, else UNHEALTHY with a message. It keeps the
  Deployment's Pods (gitops-agent-<hash>-<suffix>, the template's labels): 200 makes them
  Running and Ready; 401, another error or a connection failure puts them in
  CrashLoopBackOff (lastState.terminated.message is the agent's last log line, restartCount
  counts failures) and the Deployment unavailable (Available False,
  MinimumReplicasUnavailable). Deleting the Deployment, ConfigMap or Secret stops the
  heartbeats and removes the Pods. The token is never logged.

TEST ENDPOINTS (admin token and a loopback peer):
  GET /_emulator/requests   request counts, e.g. {\"create serviceaccounts\": 1}, and the
                            agent runner's \"agent passes\", \"agent heartbeat NS\" and
                            \"agent heartbeat failed NS\"
  GET /_emulator/state      stored objects (Secret values redacted)

DELIBERATE SIMPLIFICATIONS:
  Field management treats lists as atomic (owned and replaced whole; the API server merges
  keyed lists such as containers by name); no apply to subresources; status writes record
  no managedFields. Custom resources, ConfigMaps, Services, Pods and the apps/v1, batch,
  ingress, policy and autoscaling kinds are stored
  without field schemas (no pruning, no unknown-field warnings, no protobuf bodies);
  workload status is written as if every pod were ready at once. Strategic
  merge patch is a JSON merge patch that also merges ServiceAccount.secrets by name. Deletion
  is immediate: no finalizers, no graceful deletion, a deleted namespace and its content are
  gone at once (the delete answers the namespace marked Terminating). Lists are served from
  the current state (resourceVersion and resourceVersionMatch are accepted and not used;
  continue tokens do not pin a snapshot). Service-account tokens are opaque random strings,
  not JWTs; the TokenRequest API, replicasets, nodes and other resource types are not
  served. Only the GitOps agent's Deployment gets Pods; other workloads report ready
  without Pods. Jobs, CronJobs, Ingresses, PodDisruptionBudgets and HorizontalPodAutoscalers
  are stored without a controller (no status is written). The agent runner sends one
  heartbeat per interval per install, whatever the replica count, without crash-loop
  back-off.
  ClusterRole aggregationRule is stored but not aggregated. Request bodies are JSON or
  Kubernetes protobuf (typed clients such as kubectl 1.32+); apply bodies JSON; responses
  always JSON. No OpenAPI v2, so kubectl older than 1.29 cannot `create -f`.
";

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Help,
    Run(Config),
}

/// Parses a duration: `500ms`, `2s`, `1.5s`, `1m`, `1h`, `0`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    let (num, unit) = s
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|i| s.split_at(i))
        .ok_or_else(|| format!("invalid duration {s:?}: add a unit (ms, s, m, h)"))?;
    let n: f64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("invalid duration {s:?}: unknown unit {unit:?}")),
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("invalid duration {s:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn check_token(t: &str) -> Result<(), String> {
    if t.is_empty() || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "the admin token must be non-empty, without spaces or control characters".into(),
        );
    }
    Ok(())
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut config = Config::default();
    if let Ok(t) = std::env::var("KUBE_API_EMULATOR_TOKEN") {
        if !t.is_empty() {
            check_token(&t)?;
            config.token = Some(t);
        }
    }
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--listen" => {
                let v = value("--listen")?;
                let addr: SocketAddr = v
                    .parse()
                    .map_err(|_| format!("--listen: {v:?} is not an address like 127.0.0.1:0"))?;
                if !addr.ip().is_loopback() {
                    return Err(format!("--listen: {addr} is not a loopback address"));
                }
                config.listen = addr;
            }
            "--kubeconfig-out" => {
                config.kubeconfig_out = Some(PathBuf::from(value("--kubeconfig-out")?))
            }
            "--token" => {
                let v = value("--token")?;
                check_token(&v)?;
                config.token = Some(v);
            }
            "--data" => config.data = Some(PathBuf::from(value("--data")?)),
            "--token-delay" => config.token_delay = parse_duration(&value("--token-delay")?)?,
            "--latency" => config.latency = parse_duration(&value("--latency")?)?,
            "--agent-heartbeat-interval" => {
                config.agent_heartbeat_interval =
                    parse_duration(&value("--agent-heartbeat-interval")?)?
            }
            "--quiet" => config.log_requests = false,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Command::Run(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Config, String> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Command::Run(c) => Ok(c),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn arguments() {
        let c = run(&[
            "--listen",
            "127.0.0.1:0",
            "--token-delay=250ms",
            "--latency",
            "1.5s",
            "--token",
            "abc",
            "--quiet",
            "--agent-heartbeat-interval=250ms",
        ])
        .unwrap();
        assert_eq!(c.agent_heartbeat_interval, Duration::from_millis(250));
        assert_eq!(
            run(&[]).unwrap().agent_heartbeat_interval,
            Duration::from_secs(1)
        );
        assert!(run(&["--agent-heartbeat-interval", "0"])
            .unwrap()
            .agent_heartbeat_interval
            .is_zero());
        assert_eq!(c.token_delay, Duration::from_millis(250));
        assert_eq!(c.latency, Duration::from_millis(1500));
        assert_eq!(c.token.as_deref(), Some("abc"));
        assert!(!c.log_requests);
        assert!(run(&["--listen", "0.0.0.0:1"]).is_err());
        assert!(run(&["--latency", "5"]).is_err());
        assert!(run(&["--bogus"]).is_err());
        assert!(matches!(
            parse(vec!["--help".to_string()]),
            Ok(Command::Help)
        ));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
    }
}
