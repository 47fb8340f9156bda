//! A local Kubernetes API server emulator: HTTPS on loopback, following the API server's
//! REST conventions closely enough that the real `kubectl` and `kube-rs` work against it
//! unmodified. It stands in for a cluster in tests and on a new user's first run.
//!
//! # What it serves
//!
//! | path | what |
//! |---|---|
//! | `/version` | `version.Info` with `gitVersion` [`discovery::GIT_VERSION`] (`v1.30.0`) |
//! | `/api`, `/api/v1`, `/apis`, `/apis/{g}`, `/apis/{g}/{v}` | discovery; aggregated discovery (`apidiscovery.k8s.io/v2`, `v2beta1`) when the `Accept` header asks for it, plain `APIVersions`/`APIGroupList`/`APIResourceList` otherwise |
//! | `/openapi/v3`, `/openapi/v3/api/v1`, `/openapi/v3/apis/{g}/{v}` | operations with `x-kubernetes-group-version-kind` and their query parameters (so kubectl uses server-side `fieldValidation`); no field schemas. `/openapi/v2` is 404 |
//! | `/healthz`, `/livez`, `/readyz` | `ok`, also without credentials |
//! | core/v1 `namespaces`, `serviceaccounts`, `secrets`, `configmaps`, `services` | get, list, watch, create, update, patch, delete (+ deletecollection for namespaced types); `services/status` |
//! | core/v1 `pods` | get, list, watch, delete, deletecollection; `pods/status` get. Written only by the emulator (the GitOps agent runner, [`agent`]); other writes are 405 MethodNotAllowed |
//! | apps/v1 `deployments`, `statefulsets`, `daemonsets` | the same verbs; `status` subresource (get, update, patch) |
//! | batch/v1 `cronjobs`, `jobs`; networking.k8s.io/v1 `ingresses`; policy/v1 `poddisruptionbudgets`; autoscaling/v2 `horizontalpodautoscalers` | the same verbs; `status` subresource (get, update, patch); stored without a controller (no status is written) |
//! | networking.k8s.io/v1 `networkpolicies` | the same verbs |
//! | rbac.authorization.k8s.io/v1 `clusterroles`, `clusterrolebindings`, `roles`, `rolebindings` | the same verbs |
//! | apiextensions.k8s.io/v1 `customresourcedefinitions` | the same verbs and `status`; a stored definition serves its custom resources (below) |
//! | custom resources, `/apis/{spec.group}/{version}/[namespaces/{ns}/]{plural}` | the same verbs, for every served version; `status` when the version declares `subresources.status`; in discovery (both forms) and OpenAPI v3 at once |
//! | authorization.k8s.io/v1 `selfsubjectaccessreviews`, `selfsubjectrulesreviews`; authentication.k8s.io/v1 `selfsubjectreviews` | create (`kubectl auth can-i`, `can-i --list`, `whoami`) |
//! | `/_emulator/requests`, `/_emulator/state` | test endpoints: request counts by `"<verb> <resource>"` (and the agent runner's `agent passes`, `agent heartbeat <ns>`, `agent heartbeat failed <ns>`), stored objects (Secret values redacted); admin token and a loopback peer only |
//!
//! Paths are the API server's: `/api/v1/namespaces/{ns}/serviceaccounts/{name}`,
//! `/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}`, all-namespaces lists such as
//! `/api/v1/secrets`. Anything else under a served group version answers a NotFound Status;
//! other paths the plain-text `404 page not found`.
//!
//! # Conventions (as the API server)
//!
//! * Objects carry `kind`, `apiVersion`, `metadata.uid` (UUID v4), `creationTimestamp`
//!   (RFC 3339, seconds), `resourceVersion` (one global counter as a string, moved by every
//!   change, including deletions), `managedFields` ([`managed`]). `generation` exists on the
//!   apps/v1 kinds, definitions and custom resources (1 on create, +1 when anything but
//!   metadata and status changes), as on a real server; the core and RBAC kinds have none.
//!   Types with a status subresource ignore `status` on create and on writes of the main
//!   resource; `/status` writes change only the status. Lists are `{kind: XList, apiVersion, metadata:
//!   {resourceVersion[, continue, remainingItemCount]}, items}`.
//! * Bodies decode like the typed decoder: wrong JSON types are 400, unknown fields are
//!   dropped and reported per `fieldValidation` (`Strict`: 400 `strict decoding error:
//!   unknown field "x"`; `Warn`, the default: a `Warning` header; `Ignore`), `null` is absent.
//!   Defaults: Namespace `spec.finalizers`, `status.phase: Active` and the
//!   `kubernetes.io/metadata.name` label; Secret `type: Opaque` and `stringData` merged into
//!   `data`; binding subjects' `apiGroup`.
//! * Validation answers 422 Invalid with `details.causes` (names: DNS-1123 subdomain, label
//!   for namespaces, path segment for RBAC; label keys and values; Secret keys, `type`
//!   immutability, the service-account name annotation of token Secrets, `immutable`; RBAC
//!   rules, roleRef (immutable) and subjects).
//! * Errors are `Status` objects with the real reasons, codes and messages: NotFound 404
//!   (`serviceaccounts "x" not found`), AlreadyExists 409, Conflict 409 (stale
//!   `resourceVersion`: "the object has been modified; please apply your changes to the
//!   latest version and try again"), Invalid 422, BadRequest 400, MethodNotAllowed 405,
//!   Unauthorized 401, Forbidden 403 (`serviceaccounts "x" is forbidden: User "..." cannot get
//!   resource "serviceaccounts" in API group "" in the namespace "ns"`), UnsupportedMediaType
//!   415, NotAcceptable 406. Like the API server, a Forbidden message names the object only
//!   when the URL does (so a forbidden create reads `serviceaccounts is forbidden: ...`).
//! * Creating a namespaced object in a missing namespace is 404 `namespaces "x" not found`.
//!   `generateName` appends five random characters. `dryRun=All` validates without storing.
//!   PUT of a missing RBAC object creates it (those types allow create-on-update); other
//!   types answer 404. An update that changes nothing keeps the resourceVersion.
//! * Delete answers a `Success` Status (`details.kind` is the resource), namespaces answer
//!   the namespace marked `Terminating`; `propagationPolicy` and `preconditions` are honoured
//!   (the latter as 409). `default`, `kube-system` and `kube-public` cannot be deleted (403).
//!   Deleting a namespace deletes its objects (custom resources included); deleting a
//!   ServiceAccount deletes its token Secrets; deleting a CustomResourceDefinition deletes its
//!   objects and stops serving its types.
//! * CustomResourceDefinitions ([`crd`]): the basic shape is validated with the API
//!   server's messages (`metadata.name` is `plural.group`, group with a dot, names, scope
//!   `Namespaced`/`Cluster`, versions with exactly one storage version, immutable group,
//!   plural and scope); names are defaulted (`singular`, `listKind`); the status reports
//!   `NamesAccepted` and `Established` at once (so `kubectl wait --for
//!   condition=Established` returns) and `storedVersions`.
//! * apps/v1 workloads, Services ([`workloads`]): the API server's defaults for the fields
//!   that matter (replicas 1, strategies; Service type, `clusterIP` from 10.96.0.0/16 kept on
//!   update, port protocol and targetPort), a selector matching the template labels, and a
//!   status written as if every pod were ready at once (`readyReplicas` = `spec.replicas`,
//!   `observedGeneration`, `Available`/`Progressing` conditions), so `kubectl rollout
//!   status` returns.
//! * The GitOps agent runner ([`agent`]; [`Config::agent_heartbeat_interval`],
//!   `--agent-heartbeat-interval`, default 1 s, 0 disables): when Deployment, ConfigMap and
//!   Secret `gitops-agent` exist in a namespace, the cluster "runs" the Harness GitOps
//!   agent: every interval it POSTs the agent's heartbeat to `<AGENT_HTTP_TARGET>/agent/v1/heartbeat`
//!   with the token from the Secret, keeps the Deployment's Pods
//!   (`gitops-agent-<hash>-<suffix>`; Running and Ready after a 200, `CrashLoopBackOff` with
//!   the agent's last log line after a 401, another error or a connection failure) and the
//!   Deployment's status (`readyReplicas`, `availableReplicas`, `Available` with reason
//!   `MinimumReplicasAvailable` or `MinimumReplicasUnavailable`). Deleting the Deployment,
//!   ConfigMap or Secret stops it and removes the Pods. Other workloads (Argo CD's among
//!   them) stay ready at once, without Pods.
//! * Built-in kinds are a table ([`resources::ALL`]): adding a stored kind is an entry (and
//!   its group in [`resources::GROUPS`]); routing, discovery, OpenAPI, verbs, apply, watches,
//!   RBAC and persistence follow.
//! * Server-side apply ([`managed`]): `PATCH` with `application/apply-patch+yaml` (JSON
//!   bodies) and `fieldManager` (required); creates the object when missing (in an existing
//!   namespace); a field another manager owns set to a different value is a 409 Conflict
//!   `Apply failed with 1 conflict: conflict with "mgr": .spec.replicas` (an Update owner
//!   reads `"mgr" using apps/v1`; `details.causes` has one `FieldManagerConflict` per field)
//!   unless `force=true`, which takes the field; fields a manager stops applying are removed
//!   when no other manager owns them. Other writes record `Update` entries for the fields
//!   they change (manager: `fieldManager`, else the User-Agent's product name) and take
//!   those fields from other managers.
//! * `kubectl get` gets `meta.k8s.io/v1` Tables with the API server's columns.
//! * Authentication: bearer tokens only (see [`auth`]); authorization: RBAC (see [`rbac`]),
//!   with the bootstrap roles and bindings of a new cluster ([`bootstrap`]), and RBAC
//!   escalation prevention (a Role may only grant, and a binding only reference, permissions
//!   its author holds, unless the author may `escalate` or `bind`; a 403 lists the missing
//!   permissions as the API server does). A new namespace
//!   gets a `default` ServiceAccount. The token controller is described in [`tokens`].
//!
//! # What kubectl asks for (observed with `kubectl -v=8`, v1.32)
//!
//! * `GET /api` and `GET /apis` with `Accept: application/json;g=apidiscovery.k8s.io;v=v2;
//!   as=APIGroupDiscoveryList,...,application/json`: answered with aggregated discovery
//!   (content type `...;v=v2;as=APIGroupDiscoveryList`), so no per-group requests follow.
//! * Before `create`/`apply`: `GET /openapi/v3` and the group-version document, to see
//!   whether PATCH takes `fieldValidation`; it does, so kubectl sends
//!   `fieldValidation=Strict` and skips client-side schema validation.
//! * `get` asks for `as=Table;v=v1;g=meta.k8s.io` first; `-o json`/`jsonpath` plain JSON.
//! * kubectl 1.32+ sends typed objects (`auth can-i`, `create sa|secret|role|...`) as
//!   `application/vnd.kubernetes.protobuf` with `Accept: ...protobuf,application/json`.
//! * `/usr/bin/kubectl` here is a version dispatcher that runs the client matching the
//!   server's minor version (v1.30 against this emulator).
//! * `delete` waits with a list filtered by `fieldSelector=metadata.name=...`; `apply`
//!   (client side) GETs, then POSTs or sends a strategic merge patch (with the
//!   last-applied annotation); `auth can-i` posts a SelfSubjectAccessReview
//!   (`--list` a SelfSubjectRulesReview), `auth whoami` a SelfSubjectReview.
//!
//! # Deliberate simplifications
//!
//! * Field management treats lists as atomic (owned and replaced whole, where the API server
//!   merges keyed lists such as `containers` by `name`, so two managers applying different
//!   containers conflict here); apply to subresources is refused (415); status writes record
//!   no managed fields; `managedFields` sent by clients are ignored; a no-op apply keeps the
//!   object (and its resourceVersion) unchanged.
//! * Custom resources, ConfigMaps, Services, Pods, NetworkPolicies, Ingresses and the apps/v1,
//!   batch, policy and autoscaling kinds have no
//!   field schemas: bodies are stored as sent (no pruning, no schema validation, no
//!   unknown-field warnings; metadata is checked), protobuf bodies of these kinds are
//!   refused, and
//!   `additionalPrinterColumns` are not used (tables show Name and Age). The versions of a
//!   custom resource share their objects, which keep the `apiVersion` they were written with
//!   (no conversion). Registered types live as long as the process (identical definitions
//!   share one registration).
//! * Strategic merge patch is a merge patch that also merges `ServiceAccount.secrets` by
//!   `name` (other lists, such as a Deployment's `containers`, are replaced, so kubectl's
//!   client-side apply of a changed container list needs the whole list); it
//!   understands `$patch: delete|replace`; other directives are ignored. Custom resources
//!   refuse it (415), as on the API server.
//! * Deletion is immediate (no finalizers, no graceful period, no garbage collection of
//!   owner references); a deleted namespace and its content are gone at once.
//! * Lists and watches are served from the current state and a bounded event history:
//!   `resourceVersion`/`resourceVersionMatch` on lists are accepted and ignored; continue
//!   tokens do not pin a snapshot; a watch from a resourceVersion older than the history gets
//!   a 410 `Expired` ERROR event.
//! * Service-account tokens are opaque random strings, not JWTs (only tokens the controller
//!   issued authenticate); no TokenRequest, no replicasets, nodes or other resource types
//!   (Pods exist only for the GitOps agent's Deployment; the runner sends one heartbeat per
//!   interval per install, without crash-loop back-off; Jobs and CronJobs never run), no
//!   scale subresource, no ClusterRole aggregation, no admission webhooks; the bootstrap
//!   `admin`/`edit`/`view` roles cover the core and RBAC kinds only.
//! * Request bodies are JSON, or Kubernetes protobuf for create/update/delete options (what
//!   typed clients such as kubectl 1.32's `auth can-i` and `create <kind>` send); apply
//!   bodies must be JSON (kubectl and kube-rs send JSON). Responses are always JSON, which
//!   protobuf-preferring clients accept. No protobuf OpenAPI v2, so kubectl older than 1.29
//!   (outside the version skew of a v1.30 server) cannot `create -f`; 1.29 to 1.33 work.
//! * The listener is loopback-only; `--data` holds the CA key and tokens in clear (mode 0600).
//!
//! # Use from tests
//!
//! In-process: [`start`] a [`Config`] on a tokio runtime and use the [`Handle`] (URL, CA,
//! admin token, admin kubeconfig). As a child process: [`child::ChildEmulator::spawn`] runs
//! the `kube-api-emulator` binary, reads its `LISTENING https://127.0.0.1:PORT` line and
//! exposes the URL, the kubeconfig it wrote, the admin token and the CA.

pub mod admin;
pub mod agent;
pub mod api;
pub mod app;
pub mod auth;
pub mod bootstrap;
pub mod child;
pub mod cli;
pub mod crd;
pub mod discovery;
pub mod http;
pub mod kubeconfig;
pub mod managed;
pub mod patch;
pub mod persist;
pub mod proto;
pub mod rbac;
pub mod resources;
pub mod router;
pub mod schema;
pub mod selectors;
pub mod server;
pub mod status;
pub mod store;
pub mod table;
pub mod tls;
pub mod tokens;
pub mod util;
pub mod validate;
pub mod workloads;

pub use server::{run, start, Config, Handle};

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("configuration: {0}")]
    Config(String),
    #[error("{0}")]
    Io(String),
    #[error("state file: {0}")]
    Data(String),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("certificate generation: {0}")]
    Cert(#[from] rcgen::Error),
}
