//! The Harness GitOps emulator: a local stand-in for the Harness GitOps REST API
//! (agents, repositories, clusters, applications, ApplicationSets), the default target for trying the provider and
//! what the tests run against. It shares no code with the client (`harness-gitops-client`) on
//! purpose, so each checks the other.
//!
//! # Contract
//!
//! The operations, query parameters and bodies are those of the official Harness GitOps
//! OpenAPI document (mid-2025), served under the gateway prefix `/gitops`:
//!
//! | operation (request counter name) | method and path under `/gitops/api/v1/agents/{agent}/` |
//! |---|---|
//! | `repositories.create` / `.list` | `POST` / `GET repositories` |
//! | `repositories.get` / `.update` / `.delete` | `GET` / `PUT` / `DELETE repositories/{identifier}` |
//! | `repositories.validate` | `POST repositories/validate` |
//! | `repocreds.create` / `.get` / `.update` / `.delete` | `POST repocreds` / `GET` / `PUT` / `DELETE repocreds/{identifier}` (credential templates; module `repo_creds`: a repository without credentials of its own under a template's URL prefix inherits them) |
//! | `repocreds.forUrl` | `POST repocreds/get` (the template a URL would use) |
//!
//! And `repocreds.list`: `POST /gitops/api/v1/repocreds` (body `v1RepositoryCredentialsQuery`: scope, optional agent, `identifier`, `searchTerm`, paging).
//! | `clusters.create` / `.list` / `.get` / `.update` / `.delete` | same pattern under `clusters` |
//! | `applications.create` / `.list` / `.get` / `.update` / `.delete` | same pattern under `applications` (`{name}`) |
//! | `applications.sync` | `POST applications/{name}/sync` (body `applicationsApplicationSyncRequest`) |
//! | `certificates.create` / `.list` / `.delete` | `POST` / `GET` / `DELETE certificates` (list and delete filter by `query.hostNamePattern`, `query.certType`, `query.certSubType`) |
//! | `gpgkeys.create` / `.list` | `POST` / `GET gpgkeys` (the key ID, fingerprint, owner and sub-type computed from the armored key) |
//! | `gpgkeys.get` / `.delete` | `GET` / `DELETE gpgkeys/{keyID}` |
//! | `projects.create` / `.list` / `.get` / `.update` / `.delete` | same pattern under `projects` (`{name}`, the raw Argo AppProject; see module `projects`) |
//!
//! ApplicationSets, at the API root (module `appsets`; the agent is the `agentIdentifier`
//! query parameter): `applicationsets.create` / `.update` (`POST` / `PUT
//! /gitops/api/v1/applicationset`, body `applicationsApplicationSetCreateRequest`; `upsert`,
//! `dryRun`), `.get` / `.delete` (`GET` / `DELETE applicationset/{identifier}`, the UUID the
//! emulator assigned; a name there is not found), `.list` (`POST
//! /gitops/api/v1/applicationsets`, scope and agent in the body `v1ApplicationSetQuery`,
//! `searchTerm`, paged, query only `routingId`), `.generate` (`POST applicationset/generate`:
//! the applications it would generate, nothing stored). The other ApplicationSet operations
//! (generators, templates, resource tree) answer 501.
//!
//! Project mappings (v2), under `/gitops/api/v2/agents/{agent}/`: `projectMappings.create`
//! (`POST appprojectsmapping`, scope in the body), `.get` / `.update` (scope in the body) /
//! `.delete` (`appprojectsmapping/{identifier}`), `.list` (`GET appprojectsmappings`).
//!
//! A stored Argo project is enforced on the applications that name it (`default`, never
//! stored, allows everything): a source repository or destination it does not permit refuses
//! the create or update with Argo CD's message, a sync inside a blocking sync window (5-field
//! cron + duration, UTC or a fixed offset) is refused with `cannot sync: blocked by sync
//! window`, and an automated sync such a write would start is held (it starts at the next
//! change after the window; the emulator does not wake up by itself when a window closes).
//! A sync of a kind the project does not permit (`namespaceResourceWhitelist`/`Blacklist`;
//! the cluster lists for cluster-scoped kinds) among what it deploys (a Deployment `apps`
//! and a Service, core) fails: operation `Failed` with Argo CD's `resource apps:Deployment is
//! not permitted in project ml`, the application OutOfSync.
//!
//! The agents themselves, under `/gitops/api/v1/agents`:
//!
//! | operation (request counter name) | method and path under `/gitops/api/v1/` |
//! |---|---|
//! | `agents.create` / `agents.list` | `POST` (body `v1Agent`) / `GET agents` |
//! | `agents.get` / `.update` / `.delete` | `GET` / `PUT` (body `v1Agent`) / `DELETE agents/{identifier}` |
//! | `agents.unique` | `GET agents/{identifier}/unique` |
//! | `agents.credentials` | `POST agents/{identifier}/credentials` (a new token) |
//! | `agents.deployYaml.get` / `.post` | `GET agents/{id}/deploy.yaml` / `POST agents/{id}/deployment-spec/yaml` (body `v1AgentYamlQuery`), `application/yaml` |
//! | `agents.helmOverrides.get` / `.post` | `GET` / `POST agents/{id}/helm-overrides`, `application/yaml` |
//! | `agents.heartbeat` | `POST /gitops/agent/v1/heartbeat` (emulator convention, below) |
//!
//! Other operations of the document answer 501 (code 12); other paths 404 (code 5).
//! Accepted beyond the document because the official Go SDK sends them (reference §2.2,
//! §2.3): `routingId` (must equal `accountIdentifier`), cluster create/update
//! `secretExpressions`, application delete `options.forceDelete`.
//!
//! Behaviour, as the service behaves:
//! * `x-api-key` must equal `--api-key` (else 401, code 16). `accountIdentifier` is required
//!   and must equal `--account-id` (else 400 / 403 code 7).
//! * Unknown query parameters, repeated single-valued ones, bad booleans, and bodies that do
//!   not match the document (unknown keys, wrong JSON types, a number where an int64 string
//!   is expected, `null`) answer 400 (code 3) naming the field.
//! * Agent ids are scope-prefixed: `account.x` (any scope), `org.x` (needs `orgIdentifier`),
//!   bare `x` = project agent (needs `orgIdentifier` and `projectIdentifier`); else 400.
//!   Entities are keyed by account, org, project, agent id and identifier (applications:
//!   name and Kubernetes namespace; get, update, delete and sync find the name in
//!   `query.appNamespace` / the body's namespace / `request.appNamespace` / `appNamespace`
//!   when given, in any namespace when not). Argo CD's own uniqueness holds per agent: one repository per URL and Argo
//!   project, one cluster per server, one application per name and namespace; a clash
//!   answers 409 (code 6) "entity already exists", like a duplicate identifier without
//!   `upsert: true`. Missing entities answer 404 (code 5).
//! * Responses are protobuf-JSON: camelCase, int64 as strings, zero values (`""`, `false`,
//!   `0`, empty lists and maps) omitted (so the first history entry has no `id`), empty
//!   messages kept, `createdAt`/`lastModifiedAt` in RFC 3339, Kubernetes times as `v1Time`.
//! * Secrets are stored and returned masked as [`MASK`] (`********`; `bytes` fields
//!   `KioqKioqKio=`, the base64 of it): repository `password`, `sshPrivateKey`,
//!   `tlsClientCertData`, `tlsClientCertKey`, `githubAppPrivateKey`; cluster
//!   `config.password`, `config.bearerToken`, `config.tlsClientConfig.keyData`/`certData`.
//!   An update that sends the mask back keeps the stored secret.
//! * A repository with `repo.project` (Argo project) needs `projectIdentifier` (400
//!   "project_id is required when creating repo in project, cannot set argocd project for
//!   account level repo"); clusters follow the same rule. A repository URL cannot change.
//! * Clusters: `config.clusterConnectionType` is empty or one of `IN_CLUSTER`,
//!   `SERVICE_ACCOUNT`, `USERNAME_PASSWORD`, `TLS_CLIENT_CERT`, `EXEC_PROVIDER`, `IRSA`
//!   (else 400); `IRSA` with a stored `username`, `password` or `bearerToken` is refused
//!   (400; inferred from the Go provider's issue #1400, where stale tokens sent with IRSA
//!   failed). Update: with `updatedFields` (or `updateMask.paths`) only the named fields
//!   change (`tags` and `secretExpressions` among them), else cluster, tags and
//!   secretExpressions are replaced. `secretExpressions` maps a credential field
//!   (`username`, `password`, `bearerToken`, `certData`, `keyData`, `caData`) to a Harness
//!   secret reference (`account.<id>`, `org.<id>` or `<id>`) or the expression
//!   `<+secrets.getValue("<reference>")>`; they are stored and shown by the admin dump, but
//!   not returned by the API (the document's `servicev1Cluster` has no such field). The
//!   emulated agent resolves them against the emulated secret manager
//!   (`POST /_emulator/secrets {"reference", "value"}`) before connecting.
//! * Applications need org and project, a non-empty `spec.project`, a destination with
//!   server or name, a `repoURL` per source and, unless `skipRepoValidation`, a repository
//!   on the same agent in the project or a parent scope whose URL equals each source's
//!   `repoURL`; `clusterIdentifier`, `repoIdentifier` and `repoIdentifiers` must name
//!   existing entities. The whole Argo CD Application spec the document carries (`source`
//!   / `sources` with helm, kustomize, ksonnet, directory/jsonnet, plugin; destination;
//!   syncPolicy with automated, syncOptions, retry/backoff, managedNamespaceMetadata;
//!   ignoreDifferences; info; revisionHistoryLimit) and metadata labels, annotations,
//!   finalizers, ownerReferences are stored and returned as sent (normalised as
//!   protobuf-JSON). Argo `metadata.uid`, `resourceVersion` (bumped by every write,
//!   including a sync request), `generation` (bumped by a spec change),
//!   `creationTimestamp` and `deletionTimestamp` are maintained; namespace defaults to
//!   `argocd`.
//! * Application list (`GET applications`) answers each application with its status as
//!   GET does, filtered by `query.name`, `query.project` (any of), `query.repo` (any
//!   source), `query.selector` (label selector: `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
//!   `k notin (a,b)`, `k`, `!k`) and `query.appNamespace`; in one pass (1000 applications
//!   in one call is cheap). `query.refresh`, `query.resourceVersion` and
//!   `fetchFromHarness` are accepted and change nothing (the status is always current).
//! * Application delete: `request.propagationPolicy` is `foreground` or `background` and
//!   cannot go with `request.cascade=false` (400, as Argo CD). A cascading delete
//!   (`request.cascade` absent or true) of an application whose finalizers include
//!   `resources-finalizer.argocd.argoproj.io` (or its `/foreground`, `/background` forms)
//!   sets `metadata.deletionTimestamp`; GET and list still return it, a create of the same
//!   name answers 409, an update or sync 400 (code 9), a repeated delete 200 without
//!   change; `--delete-delay` later it is gone. A non-cascading delete,
//!   `options.removeExistingFinalizers=true`, `options.forceDelete=true`, or an application
//!   without the finalizer is gone at once (also when its deletion was pending).
//! * Repository and cluster delete are refused (400, code 9, "cluster is used by N
//!   application(s)", the real API's words; "repository is used by …" likewise) while
//!   applications on the agent use them (clusters: `clusterIdentifier` or the destination
//!   server; repositories: `repoIdentifier`, `repoIdentifiers` or a source `repoURL`),
//!   applications being deleted included; `forceDelete=true` deletes anyway.
//! * Accepted without effect (documented, nothing to emulate): cluster `forceUpdate`,
//!   application `validate`, repository `query.forceRefresh`.
//!
//! # Agents (conventions)
//!
//! * Scope: `orgIdentifier` / `projectIdentifier` of the query (create, update and the POST
//!   manifest calls: of the body; a query scope that disagrees is refused). Agents are keyed
//!   by account, org, project and identifier; `prefixedIdentifier` is `account.x`, `org.x` or
//!   `x`, `scope` `ACCOUNT`/`ORG`/`PROJECT`. Create needs a Harness identifier, a name and a
//!   type other than `AGENT_TYPE_UNSET` (400 code 3), a duplicate answers 409 (code 6).
//! * Create answers `credentials.privateKey` (the agent token: 32 random bytes, base64) and
//!   `publicKey`; GET answers `credentials` only with `withCredentials=true`;
//!   `POST …/credentials` rotates the token (the old one stops working). Update applies only
//!   `tags`, `metadata` (whole), `description` and `type` (the document's description of
//!   the operation). Delete answers the deleted agent.
//!   List: exactly the query's scope, sorted by identifier, paged (`pageSize` default 10),
//!   filtered by `identifier`, `name`, `type` and `searchTerm` (identifier or name contains
//!   it, any case).
//! * **Versions.** The emulator has a *latest agent version*: `--agent-version`
//!   ([`Config::agent_version`], default 0.101.0), changed at run time by
//!   `POST /_emulator/agent-version`. An agent's `version` (`v1SemanticVersion`, int64 as
//!   strings, zero fields omitted) is the version of its last heartbeat, absent before the
//!   first one (and when that heartbeat's `version` is not `MAJOR.MINOR.PATCH`, a leading
//!   `v` tolerated); `upgradeAvailable` is `true` when that version is older (semver,
//!   numeric) than the latest, else omitted. New manifests and Helm overrides carry the
//!   latest version (image tags), so an upgrade is: bump the latest version, fetch the
//!   manifest again, apply it; the new image heartbeats the new version and
//!   `upgradeAvailable` goes away.
//! * The token lifecycle of the manifests (deploy YAML and Helm overrides, GET and POST):
//!   `privateKey` equal to the current token embeds it unchanged; **no `privateKey`
//!   regenerates the token** and embeds the new one (Harness's behaviour,
//!   harness/terraform-provider-harness#1149: the running agent is locked out); another
//!   `privateKey` is refused (400 code 3, the token never echoed). `namespace` (else the
//!   agent's `metadata.namespace`) is required.
//! * The manifest (module `manifest`) is multi-document YAML in apply order: for
//!   `MANAGED_ARGO_PROVIDER` the three Argo CD CRDs (unless `skipCrds`); ServiceAccounts,
//!   Roles and RoleBindings (`gitops-agent`, and Argo CD's for managed agents); a
//!   ClusterRole and ClusterRoleBinding named after the agent identifier (plus Argo CD's)
//!   unless `metadata.isNamespaced`; Secret `gitops-agent` (`stringData.GITOPS_AGENT_TOKEN`),
//!   Secret `<identifier>-ca` (`ca.bundle`) with `caData`, ConfigMap `gitops-agent`
//!   (identity, `AGENT_HTTP_TARGET` = this emulator's own URL + `/gitops`,
//!   `GITOPS_SERVICE_PROTOCOL: HTTP1`, `GITOPS_AGENT_AVAILABILITY_MODE` `HA`/`NON-HA`, the
//!   `GITOPS_ARGOCD_*` component names, proxy variables; a proxy password goes to Secret
//!   `gitops-agent-proxy`); Argo CD's ConfigMaps and `argocd-secret` (managed); Deployment
//!   `gitops-agent` (`harness/gitops-agent:v<latest version>`, also `GITOPS_AGENT_VERSION` in the ConfigMap; `envFrom` the ConfigMap and Secret, 2
//!   replicas when `metadata.highAvailability`); for managed agents the Argo CD
//!   Deployments, the `argocd-application-controller` StatefulSet, Services,
//!   NetworkPolicies and the `gitops-agent-upgrader` CronJob. Every namespaced object has
//!   `metadata.namespace` = the query's namespace; no Namespace object (Harness does not
//!   create it). `CONNECTED_ARGO_PROVIDER`: only the agent's objects. Helm overrides: a
//!   values file with `harness.identity.*`, `harness.secrets.agentSecret` and
//!   `harness.configMap.http.agentHttpTarget`, `agent.image.repository`
//!   (`harness/gitops-agent`) and `agent.image.tag` (`v<latest version>`).
//! * **Heartbeat** (the agent-facing side; the real protocol is not public):
//!   `POST /gitops/agent/v1/heartbeat`, header `Authorization: Bearer <token>` (no
//!   `x-api-key`), body `{"accountIdentifier", "orgIdentifier", "projectIdentifier",
//!   "agentIdentifier", "version": "0.101.0" (the running image's tag without `v`), "components": {"harnessGitopsAgent":
//!   {"status": "HEALTHY|UNHEALTHY", "message": "..."}, "argoRepoServer": {...},
//!   "argoAppController": {...}, "argoRedisServer": {...}, "argoAppSetController": {...}}}`
//!   (each component a `v1AgentComponentHealth`). 200 `{}` with the agent's current token;
//!   401 (code 16) "This is an unauthorized agent" otherwise; 404 (code 5) when the agent
//!   does not exist. It sets `health.lastHeartbeat` (RFC 3339), the components and
//!   `connectionStatus` `CONNECTED`; `--agent-heartbeat-timeout` (default 15 s) after the
//!   last one the agent reads `DISCONNECTED`; before the first, `CONNECTED_STATUS_UNSET`
//!   and no components. The heartbeat's `version` becomes the agent's `version`.
//!
//! # Agent simulation (conventions)
//!
//! * **`.invalid` hosts**: a repository URL or cluster server whose host is `invalid` or
//!   ends in `.invalid` (RFC 2606 guarantees it never resolves) reports connection status
//!   `Failed` with a DNS error message; any other non-loopback host reports `Successful`,
//!   clusters with `serverVersion` `SERVER_VERSION` (`1.30`), attempted at their
//!   last change.
//! * **Credential templates** (module `repo_creds`): a repository with no credentials of its
//!   own whose URL starts with a template's `url` (same type and Argo CD instance; the longest
//!   prefix wins) reports `inheritedCreds: true` and connects with the template's credentials:
//!   `Successful` when the template holds a complete method (username and password, an SSH
//!   key, a TLS client certificate and key, or a GitHub App key with both ids), else `Failed`
//!   with "authentication required"; the `.invalid` rule applies first.
//! * **Loopback clusters are checked for real** (module `kube`): a cluster whose server is an
//!   `http(s)` URL on `127.0.0.0/8`, `localhost` or `[::1]` is called on every GET, list,
//!   create, update and admin dump, as an agent would: `GET /version` then `GET /api` with
//!   the bearer token (else basic auth; `IRSA`/`EXEC_PROVIDER`: no credentials, the
//!   emulated agent cannot obtain them), the client certificate, `caData` as the only
//!   trusted CA, `insecure`, `serverName`; 5 s at most. `Successful` with `serverVersion`
//!   `major.minor` of `/version` and `info.apiVersions` from `/api`, or `Failed` with
//!   client-go's wording ("the server has asked for the client to provide credentials"
//!   for 401, "x509: certificate signed by unknown authority", "connect: connection
//!   refused", ...). A credential named in `secretExpressions` is taken from the
//!   emulated secret manager (`POST /_emulator/secrets`); one it lacks fails the check.
//! * **Sync and health** (module `sync`, Argo CD's rules): a *change* is a create, an update
//!   whose `spec` differs, or a drift (admin PATCH of the spec); the desired state
//!   (sources, destination, resolved revisions) is compared with what the last successful
//!   sync deployed. Deployed already: `Synced`, `Healthy`, `reconciledAt` = now (also when
//!   a failed sync of another target is reverted). Else, with
//!   `syncPolicy.automated` (present, even `{}`): an automated sync starts
//!   (`operationState.phase` `Running`, health `Progressing`, `reconciledAt` unchanged)
//!   and ends `--sync-delay` later `Succeeded`, `Synced`/`Healthy`, `reconciledAt` = its
//!   end, `status.sync.revision` (`revisions` for multi-source), a `status.history` entry
//!   (at most `revisionHistoryLimit`, default 10), `operationState.syncResult`,
//!   `finishedAt`. Argo CD does not retry an automated sync of a target that failed: a
//!   new change is needed. Without `automated`: `OutOfSync` (health `Missing` before the
//!   first sync), `reconciledAt` = now, until `POST .../sync` starts a sync (refused with
//!   400 code 9 while one runs). So `reconciledAt` moving after an update means the
//!   reconcile of that update is over (with automated sync: its sync finished); an update
//!   that leaves the spec as it was starts nothing and moves nothing. Revisions: the chart
//!   version for Helm charts, a full SHA as given, else a stable made-up 40-hex commit.
//!   The top-level `operation` is present while a sync runs. `status.summary.images`
//!   lists the deployed sources' `kustomize.images`.
//! * **`fail-sync`**: if the `path` of the source, or of any source, contains `fail-sync`,
//!   the sync ends `Failed` with Argo CD's "one or more objects failed to apply, reason: …"
//!   message, `OutOfSync` / `Degraded`, a `SyncError` condition; with `retry.limit` N > 0
//!   (the spec's `syncPolicy.retry` for automated syncs, the request's `retryStrategy`
//!   otherwise) after N+1 attempts of `--sync-delay` each (`retryCount`, "(retried N
//!   times)."), with N < 0 never (retrying forever). Backoff durations are not emulated.
//! * Simplifications: no resource tree (`status.resources` empty), no sync windows, no
//!   live-cluster drift (`selfHeal` has no effect), an automated sync running for an older
//!   target is restarted for the new one (Argo CD would finish it first), a dry-run sync
//!   changes only `operationState`, manual syncs are initiated by user
//!   `x-api-key:<account>`, health is `Progressing` during every sync.
//! * Deliberate divergences from Argo CD: (1) Argo CD's controller also refreshes (moves
//!   `reconciledAt`) when it notices a change, before the automated sync it starts; the
//!   emulator reports only the reconcile that ends the sync, so that "`reconciledAt`
//!   moved" alone tells a client its change is through (a client that also requires
//!   `Synced`/`Healthy`, as it should for Argo CD, works with both). (2) Through Argo CD's
//!   API a cascading delete adds the resources finalizer itself, so every cascading delete
//!   waits for the resources (Argo CD's app deletion guide); the emulator waits only for
//!   applications that already carry the finalizer, and deletes the others at once.
//!
//! # ApplicationSets (the emulated controller, module `appset_gen`)
//!
//! Every create and update generates at once; the generated applications are applications
//! of the store (the set's scope and agent, namespace of the set, project from the
//! template), owned by the set (`ownerReferences`, kind `ApplicationSet`, the set's
//! `metadata.uid`), created without repository validation (the controller writes
//! Applications directly) and synced like any other (so automated ones become `Synced` and
//! `Healthy`). `status.resources` and `status.applicationStatus` show their sync and health
//! on every read; `status.conditions` has `ErrorOccurred`, `ParametersGenerated`,
//! `ResourcesUpToDate`.
//! * Generators: `list` (elements `v1JSON`; nested values flattened to dotted keys without
//!   `goTemplate`), `clusters` (the agent's clusters in the set's project and parent scopes:
//!   `name`, `nameNormalized`, `server`, `project`, `metadata.labels.*`,
//!   `metadata.annotations.*`, `values.*`; `selector`; no implicit in-cluster), `git` (no
//!   network: the tree of `--git-tree FILE` / `POST /_emulator/git-tree`; `directories`
//!   with `exclude` and `*`/`**` globs give `path`, `path.basename`,
//!   `path.basenameNormalized`, `path[n]` (`goTemplate`: `.path.path`, `.path.segments`, …)
//!   under `pathParamPrefix`; `files` read JSON contents only, plus `path.filename`; an
//!   unknown repository or revision is a condition), `matrix` (exactly two children; the
//!   second sees the first's parameters; conflicting keys refused as Argo CD does), `merge`
//!   (`mergeKeys` required; later children override the first's sets with equal keys), and
//!   `selector` beside any of them. Several kinds in one entry are concatenated.
//!   `scmProvider`, `pullRequest`, `clusterDecisionResource` and `plugin` are stored and
//!   answer an `ErrorOccurred` condition (they need their providers). List `elementsYaml`
//!   likewise.
//! * Structure refused with 400 (code 3) and Argo CD's words: no generator, a matrix with
//!   other than two children, a merge with fewer than two or no `mergeKeys`, a child with
//!   more than one kind, a matrix/merge nested deeper than one level (Argo CD's terminal
//!   generators), a nested `v1JSON` that is not a matrix/merge of the document, a missing
//!   `metadata.name` or `spec.template`, an unknown `syncPolicy.applicationsSync` or
//!   `strategy.type`.
//! * Templates: fasttemplate `{{param}}` / `{{ param }}` (an unknown parameter stays as
//!   written) and, with `goTemplate`, Go actions: `.a.b` paths, pipelines, `index`,
//!   `default`, `upper`, `lower`, `trim`, `quote`, `normalize`, `toString`, `printf` (`%s`
//!   style verbs); a missing key renders `<no value>`, or fails with
//!   `goTemplateOptions: ["missingkey=error"]`. Every string of template metadata (name,
//!   labels, annotations, finalizers) and spec is rendered; a generator's own `template`
//!   fills over the spec's (the generator's values win). `templatePatch` is not supported
//!   (a condition). Failures of generation or rendering are conditions on create and
//!   update (nothing changes, as Argo CD), 400 on `generate`.
//! * `syncPolicy.applicationsSync`: `create-only` (no updates, no deletes), `create-update`
//!   (no deletes), `create-delete` (no updates), `sync` (default, all). An application of
//!   the same name not owned by the set is left alone (a condition); one its Argo project
//!   refuses is not created (a condition with Argo CD's message, e.g. `application repo … is
//!   not permitted in project 'ml'`).
//! * Delete deletes the set's applications (cascading: with the resources finalizer they
//!   go `--delete-delay` later), unless `syncPolicy.preserveResourcesOnDeletion`: then they
//!   stay, without the owner reference. (Argo CD itself deletes the Applications and keeps
//!   their deployed resources; the emulator deploys nothing, so it keeps the Applications as
//!   the observable stand-in.)
//! * Stored but not acted on: `strategy` (RollingSync), `preservedFields`,
//!   `ignoreApplicationDifferences`, `applyNestedSelectors`, `requeueAfterSeconds`.
//!
//! # Where the document and Argo CD's CRD differ
//!
//! The document (protobuf-JSON of Argo CD's API) is the contract; the CRD
//! (`argocd/application-crd.yaml`) is the Kubernetes form. The emulator follows the
//! document; `tests/emulator_crd.rs` pins the differences: int64 fields
//! (`revisionHistoryLimit`, `retry.limit`, `backoff.factor`, history `id`, …) are strings,
//! not integers; times are `v1Time` objects, not RFC 3339 strings (plus `*Ts` twins);
//! plugin parameters' `array`/`map` are wrapped (`{"array": {"array": [...]}}`); kustomize
//! patch `target` nests `resId.gvk` where the CRD is flat; the document still has
//! `ksonnet` (gone from Argo CD). Fields of newer Argo CD the document lacks (refused as
//! unknown): `syncPolicy.automated.enabled`, `retry.refresh`, `sourceHydrator`, source
//! `tagPrefix`, directory `disableExtensionFilter`, kustomize
//! `ignoreMissingComponents`/`labelIncludeTemplates`/`commonAnnotationsEnvsubst`,
//! `summary.isAppOfApps`, sync result resource `images`.
//!
//! # Faults
//!
//! `--fault-rate R` fails that share of API requests before any state change with 503
//! (code 14), 429 (`Retry-After: 1`) or a dropped connection, one third each;
//! `--fault-after-rate R2` applies the request and then drops the connection without a
//! response. `--latency D` delays every API request. `--seed N` fixes the sequence: each
//! API request draws the same number of values in arrival order.
//!
//! # Persistence
//!
//! With `--data FILE` every change is written atomically (temporary file in the same
//! directory, fsync, rename, fsync of the directory) before its response is sent, and the
//! file is loaded at start (format `harness-gitops-emulator/2`, agents included, and the
//! latest agent version once set through the admin API; files
//! written before agents were emulated load with none; files of format 1 are refused). Secrets are stored in clear in that file (mode 0600): it is a test tool.
//!
//! # Admin API (tests only)
//!
//! Under `/_emulator/`, never delayed or faulted. Every request needs the API key
//! (`x-api-key: <--api-key>`, else 401 code 16), a loopback peer and a `Host` (or HTTP/2
//! authority) that is a loopback name, `localhost`, `127.0.0.0/8` or `[::1]` with any port
//! (else 403 code 7: defeats DNS rebinding). Secrets are masked as in the API unless the
//! query has `secrets=clear`.
//! * `GET /_emulator/state[?secrets=clear]`: `{repositories: [...], clusters: [...],
//!   applications: [...], agents: [...]}`, each entry in its `servicev1*` shape (scope keys
//!   included; clusters also with `secretExpressions` when they have some), agents as
//!   `v1Agent` with `credentials` (the private key masked unless `secrets=clear`); plus
//!   `repoCreds` and `applicationsets` (`servicev1ApplicationSet`) when there are some.
//! * `GET /_emulator/git-tree`, `POST /_emulator/git-tree` with
//!   `{"<repoURL>": {"<revision>": ["dir/path", {"path": "dir/f.json", "content": "..."}]}}`:
//!   what the ApplicationSet git generator sees (replaces the whole tree; `--git-tree FILE`
//!   gives the first one, and a reset returns to it). A string entry is a directory, an
//!   object a file (its directories exist too); revision `HEAD` also serves an empty one.
//! * `GET /_emulator/requests`: the counters, `{"requests": {op: n}, "applied": {op: n},
//!   "faults": {"before.unavailable": n, "before.tooManyRequests": n, "before.drop": n,
//!   "after.drop": n, "armed.<op>.<error|dropAfter>": n}, "armedPending": n,
//!   "connections": n}`. `requests`: every routed API request per
//!   operation name, faulted ones included. `applied`: requests whose change was
//!   committed (a create applied, a delete that removed or started removing, a sync
//!   started; a repeated delete of an application being deleted is not), also when the
//!   connection was then dropped. `faults`: injected faults by kind (armed ones by
//!   operation). `armedPending`: armed faults not fired yet. `connections`: TCP
//!   connections accepted (API and admin).
//! * `POST /_emulator/reset`: forget all entities, counters and armed faults; the latest
//!   agent version returns to `--agent-version`.
//! * `GET /_emulator/agent-version`: `{"version": "0.101.0"}`, the latest agent version.
//!   `POST /_emulator/agent-version` with exactly `{"version": "MAJOR.MINOR.PATCH"}` (any
//!   such version, an older one included; else 400 code 3) makes it the latest and answers
//!   it. It is persisted with `--data` (key `agentVersion` of the data file, present only
//!   once set this way) and then wins over `--agent-version` when the emulator restarts
//!   on that file; a reset clears it.
//! * `POST /_emulator/secrets` with `{"reference": "account.k8s_token", "value": "..."}`:
//!   puts a secret in the emulated Harness secret manager (in memory, never persisted or
//!   shown), for clusters whose credentials are `secretExpressions`.
//! * `POST /_emulator/faults`: arm a fault for one request of one operation (a counter
//!   name), for tests that need a given failure at a given step whatever the timing:
//!   `{"op": "repositories.update", "skip": 0, "error": {"status": 400, "message": "..."}}`
//!   answers that error (the gateway's shape; status 400, 401, 403, 404, 409, 429, 500,
//!   501 or 503 with its gRPC code) and changes nothing; `{"op": "repositories.create",
//!   "skip": 1, "dropAfter": true}` applies the request, then closes the connection without
//!   a response. It fires once, on the `skip + 1`-th request of `op` that passes the random
//!   faults. `{"op": "agents.deployYaml.post", "rotateAgentTokenAfterManifest": true}`
//!   (also `agents.deployYaml.get`, `agents.helmOverrides.get`/`.post`) serves the manifest,
//!   then rotates that agent's token as if someone regenerated its credentials at that
//!   moment: the installed agent has a bad token. `DELETE /_emulator/faults` disarms every
//!   pending one.
//! * `PATCH /_emulator/{repositories|clusters|applications}?accountIdentifier=&orgIdentifier=&projectIdentifier=&agentIdentifier=&identifier=[&secrets=clear]`
//!   (applications: `name=`; `accountIdentifier` defaults to `--account-id`): a JSON merge
//!   patch (RFC 7386) applied to the stored Argo object (drift); the result must still match
//!   the document. Answers the entity.
//! * `DELETE` on the same path: delete the entity behind the client's back, at once.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::secret::Secret;

mod admin;
mod agent;
mod agents;
mod applications;
mod appset_gen;
mod appsets;
mod certificates;
pub mod cli;
mod clusters;
mod common;
mod error;
mod faults;
mod gpgkeys;
mod http;
mod kube;
mod manifest;
mod mappings;
mod openpgp;
mod project_rules;
mod projects;
mod query;
mod repo_creds;
mod repositories;
mod routes;
mod schema;
mod scope;
pub mod secret;
mod store;
mod sync;
mod validate;
mod version;

pub use common::{MASK, MASK_BYTES};
pub use version::{AgentVersion, BadVersion};

/// How to run the emulator (see [`cli::USAGE`] for the command-line form).
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on; loopback unless `allow_remote`.
    pub listen: SocketAddr,
    /// Allow a non-loopback `listen`.
    pub allow_remote: bool,
    /// The only accepted `x-api-key`.
    pub api_key: Secret,
    /// The only accepted `accountIdentifier`.
    pub account_id: String,
    /// Data file; `None` keeps state in memory.
    pub data: Option<PathBuf>,
    /// Time an application takes to sync.
    pub sync_delay: Duration,
    /// Time a cascading delete of an application with the resources finalizer takes.
    pub delete_delay: Duration,
    /// Delay added to every API request.
    pub latency: Duration,
    /// Share of API requests failed before any change.
    pub fault_rate: f64,
    /// Share of API requests applied and then dropped without a response.
    pub fault_after_rate: f64,
    /// Fault sequence seed; `None` picks one at random.
    pub seed: Option<u64>,
    /// An agent reads `DISCONNECTED` this long after its last heartbeat (default 15 s).
    pub agent_heartbeat_timeout: Duration,
    /// The latest GitOps agent version (`--agent-version`, default 0.101.0): the image tag
    /// of new manifests; agents whose last heartbeat reported an older version read
    /// `upgradeAvailable: true`. `POST /_emulator/agent-version` changes it at run time.
    pub agent_version: AgentVersion,
    /// What the ApplicationSet git generator reads (`--git-tree FILE`): repository URL →
    /// revision → entries (a directory path, or `{"path", "content"}` for a file).
    pub git_trees: BTreeMap<String, BTreeMap<String, Vec<serde_json::Value>>>,
}

impl Config {
    /// Loopback on a free port, in memory, 2 s sync and delete delays, no latency, no faults.
    pub fn new(api_key: impl Into<Secret>, account_id: impl Into<String>) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            allow_remote: false,
            api_key: api_key.into(),
            account_id: account_id.into(),
            data: None,
            sync_delay: Duration::from_secs(2),
            delete_delay: Duration::from_secs(2),
            latency: Duration::ZERO,
            fault_rate: 0.0,
            fault_after_rate: 0.0,
            seed: None,
            agent_heartbeat_timeout: Duration::from_secs(15),
            agent_version: AgentVersion::DEFAULT,
            git_trees: BTreeMap::new(),
        }
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "refusing to listen on non-loopback address {0} without allow_remote (--allow-remote)"
    )]
    NotLoopback(SocketAddr),
    #[error(transparent)]
    Data(#[from] store::LoadError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot install the {0} signal handler: {1}")]
    Signal(&'static str, std::io::Error),
}

/// A running emulator.
pub struct Running {
    addr: SocketAddr,
    seed: u64,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    /// The address it listens on (the real port when `listen` had port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// Base URL, e.g. `http://127.0.0.1:43123` (the API is under `/gitops`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// The fault seed in use.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Stops accepting connections, lets in-flight requests finish (up to 5 s) and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Writes one log line to stderr.
pub(crate) fn log(args: fmt::Arguments<'_>) {
    let now = store::Ts::now().rfc3339();
    let _ = writeln!(
        std::io::stderr().lock(),
        "{now} harness-gitops-emulator: {args}"
    );
}

/// Starts the emulator on the current tokio runtime: loads `--data`, binds, and serves in a
/// background task. Connections are accepted when this returns.
///
/// # Errors
/// [`StartError`] for a non-loopback address without `allow_remote`, an unreadable or
/// corrupt data file, or a failed bind.
pub async fn start(config: Config) -> Result<Running, StartError> {
    if !config.listen.ip().is_loopback() && !config.allow_remote {
        return Err(StartError::NotLoopback(config.listen));
    }
    let store = store::Store::open(config.data.clone())?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let seed = config.seed.unwrap_or_else(|| fastrand::u64(..));
    // A version set through the admin API and persisted with --data wins over the flag.
    let agent_version = store
        .read(|s| s.agent_version)
        .await
        .unwrap_or(config.agent_version);
    let ctx = Arc::new(http::Ctx {
        api_key: config.api_key,
        account_id: config.account_id,
        sync_delay: config.sync_delay,
        delete_delay: config.delete_delay,
        latency: config.latency,
        store,
        faults: faults::Faults::new(config.fault_rate, config.fault_after_rate, seed),
        armed: faults::ArmedFaults::default(),
        counts: Mutex::new(Default::default()),
        connections: std::sync::atomic::AtomicU64::new(0),
        ids: Mutex::new(fastrand::Rng::new()),
        base_url: format!("http://{addr}"),
        agent_heartbeat_timeout: config.agent_heartbeat_timeout,
        agent_version_default: config.agent_version,
        agent_version: std::sync::RwLock::new(agent_version),
        secrets: Default::default(),
        git_trees: std::sync::RwLock::new(config.git_trees.clone()),
        git_trees_default: config.git_trees,
    });
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(http::serve(listener, ctx, stopped));
    log(format_args!(
        "listening on http://{addr} (data: {}, sync delay {:?}, delete delay {:?}, latency {:?}, fault rate {}, fault-after rate {}, seed {seed}, latest agent version {agent_version})",
        config.data.as_ref().map_or_else(|| "memory only".to_string(), |p| p.display().to_string()),
        config.sync_delay,
        config.delete_delay,
        config.latency,
        config.fault_rate,
        config.fault_after_rate,
    ));
    Ok(Running {
        addr,
        seed,
        stop,
        task,
    })
}

/// An emulator serving from a thread of its own, for tests in other crates: started with
/// [`start_background`], stopped (gracefully) when dropped.
pub struct Background {
    url: String,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Base URL, e.g. `http://127.0.0.1:43123`.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the emulator on a new thread with its own two-worker runtime, independent of the
/// caller's runtime (or lack of one). Returns once it accepts connections.
///
/// # Errors
/// [`StartError`] as for [`start`].
pub fn start_background(config: Config) -> Result<Background, StartError> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("harness-gitops-emulator".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(StartError::Bind {
                        addr: config.listen,
                        source: e,
                    }));
                    return;
                }
            };
            runtime.block_on(async move {
                match start(config).await {
                    Ok(running) => {
                        let _ = ready_tx.send(Ok(running.addr()));
                        let _ = stop_rx.await;
                        running.shutdown().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })
        .map_err(|source| StartError::Bind {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            source,
        })?;
    let addr = ready_rx.recv().unwrap_or_else(|_| {
        Err(StartError::Bind {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            source: std::io::Error::other("the emulator thread ended before starting"),
        })
    })?;
    Ok(Background {
        url: format!("http://{addr}"),
        addr,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

/// Starts [`start_background`] from command-line style arguments (as `--help` lists them),
/// e.g. `["--api-key", "k", "--account-id", "a", "--fault-rate", "0.3"]`.
///
/// # Errors
/// A message for bad arguments or a failed start.
pub fn start_background_with_args<I, S>(args: I) -> Result<Background, String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    match cli::parse(args.into_iter().map(Into::into)) {
        Ok(cli::Command::Run(config)) => start_background(config).map_err(|e| e.to_string()),
        Ok(cli::Command::Help) => Err("the arguments ask for --help".to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs the emulator until SIGTERM or SIGINT: starts it, prints
/// `LISTENING http://HOST:PORT` as the first stdout line (flushed), waits for a signal,
/// then shuts down gracefully.
///
/// # Errors
/// [`StartError`] when it cannot start or install the signal handlers.
pub async fn run(config: Config) -> Result<(), StartError> {
    let signals = Signals::install()?;
    let running = start(config).await?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "LISTENING {}", running.url());
        let _ = out.flush();
    }
    let which = signals.wait().await;
    log(format_args!("{which} received, shutting down"));
    running.shutdown().await;
    log(format_args!("stopped"));
    Ok(())
}

/// The stop signals: SIGTERM and SIGINT on Unix, Ctrl-C elsewhere.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> Result<Signals, StartError> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate()).map_err(|e| StartError::Signal("SIGTERM", e))?,
            int: signal(SignalKind::interrupt()).map_err(|e| StartError::Signal("SIGINT", e))?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> Result<Signals, StartError> {
        Ok(Signals {})
    }

    #[cfg(unix)]
    async fn wait(mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }

    #[cfg(not(unix))]
    async fn wait(self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
