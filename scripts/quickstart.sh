#!/usr/bin/env bash
# One command on a fresh machine: build the provider and the emulators, start the Harness GitOps
# emulator and the Kubernetes API emulator (state persisted in a temp dir), install the provider
# into a private filesystem mirror, then `terraform init` + `apply` examples/quickstart (which
# also bootstraps the emulated Kubernetes cluster and registers it) and show the result from
# every side.
#
# Usage: scripts/quickstart.sh               (run it)
#        scripts/quickstart.sh verify-empty  (after `terraform destroy`: both emulators hold what
#                                             they held before the apply)
#        scripts/quickstart.sh stop          (stop the emulators it started)
#
# HARNESS_PROVIDER_BINARY=/path/to/terraform-provider-harness_vX.Y.Z installs that binary (e.g. a
# release build) instead of the debug build; .ci/run runs the release check's binary this way.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/target/quickstart"
# examples/quickstart says source = "harness-gitops/harness", which Terraform expands to this
# address; the mirror's directory layout spells it in full.
source_addr="registry.terraform.io/harness-gitops/harness"
terraform=${TERRAFORM:-terraform}

stop_emulator() {
  local pidfile
  for pidfile in "$work/emulator.pid" "$work/kube-emulator.pid"; do
    if [[ -f "$pidfile" ]]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
    fi
  done
}

if [[ "${1:-}" == "stop" ]]; then
  stop_emulator
  echo "emulators stopped"
  exit 0
fi

# What the emulated cluster holds: every object of every listable kind, by name.
kube_inventory() {
  KUBECONFIG="$work/kubeconfig" kubectl api-resources --verbs=list -o name |
    paste -sd, - |
    xargs -I{} env KUBECONFIG="$work/kubeconfig" kubectl get {} -A -o name --ignore-not-found |
    sort
}

# After `terraform destroy`: both emulators hold what they held before the apply (Harness: no
# entity at all; Kubernetes: the objects it started with), so nothing was left behind.
if [[ "${1:-}" == "verify-empty" ]]; then
  # shellcheck disable=SC1091
  source "$work/env.sh"
  state=$(curl -sf -H "x-api-key: $HARNESS_PLATFORM_API_KEY" "$HARNESS_ENDPOINT/_emulator/state")
  left=$(python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(len(s.get(k) or []) for k in ("repositories","clusters","applications","agents","applicationsets")))' <<<"$state")
  [[ "$left" == 0 ]] || { echo "the Harness emulator still holds $left entities:" >&2; echo "$state" >&2; exit 1; }
  for _ in $(seq 1 50); do
    kube_inventory >"$work/kube-after.txt"
    diff -q "$work/kube-before.txt" "$work/kube-after.txt" >/dev/null && break
    sleep 0.2
  done
  if ! diff -u "$work/kube-before.txt" "$work/kube-after.txt"; then
    echo "the Kubernetes emulator holds objects it did not have before the apply (above)" >&2
    exit 1
  fi
  echo "both emulators are as they were before the apply"
  exit 0
fi

command -v "$terraform" >/dev/null || { echo "terraform (>= 1.11) is needed on PATH (or set TERRAFORM)" >&2; exit 1; }
command -v cargo >/dev/null || { echo "cargo (Rust) is needed: https://rustup.rs" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed to show the emulator's state" >&2; exit 1; }
command -v kubectl >/dev/null || { echo "kubectl is needed to show (and check) the emulated cluster: https://kubernetes.io/docs/tasks/tools/ (or put it on PATH)" >&2; exit 1; }

bin="$root/target/debug"
if [[ -n "${HARNESS_PROVIDER_BINARY:-}" ]]; then
  [[ -x "$HARNESS_PROVIDER_BINARY" ]] || { echo "HARNESS_PROVIDER_BINARY=$HARNESS_PROVIDER_BINARY is not an executable" >&2; exit 1; }
  provider_bin=$HARNESS_PROVIDER_BINARY
  echo "==> building harness-gitops-emulator and kube-api-emulator (provider: $provider_bin)"
  cargo build --quiet --bin harness-gitops-emulator --bin kube-api-emulator --manifest-path "$root/Cargo.toml"
else
  provider_bin="$bin/terraform-provider-harness"
  echo "==> building terraform-provider-harness, harness-gitops-emulator and kube-api-emulator"
  cargo build --quiet --bins --manifest-path "$root/Cargo.toml"
fi
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)

stop_emulator
rm -rf "$work"
mkdir -p "$work/run"

echo "==> installing the provider into a private filesystem mirror"
platform="$(uname -s | tr '[:upper:]' '[:lower:]')_$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')"
pkg="$work/mirror/$source_addr/$version/$platform"
mkdir -p "$pkg"
cp "$provider_bin" "$pkg/terraform-provider-harness_v$version"
cat > "$work/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["$source_addr"]
  }
  direct {
    exclude = ["$source_addr"]
  }
}
RC

echo "==> starting harness-gitops-emulator (state in $work/emulator-data.json)"
api_key="pat.quickstart.$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
nohup "$bin/harness-gitops-emulator" --listen 127.0.0.1:0 --api-key "$api_key" --account-id quickstart \
  --data "$work/emulator-data.json" --sync-delay 2s >"$work/emulator.out" 2>"$work/emulator.log" &
echo $! >"$work/emulator.pid"
for _ in $(seq 1 100); do
  grep -q '^LISTENING ' "$work/emulator.out" 2>/dev/null && break
  sleep 0.1
done
endpoint=$(sed -n 's/^LISTENING //p' "$work/emulator.out" | head -1)
[[ -n "$endpoint" ]] || { echo "the emulator did not start; see $work/emulator.log" >&2; exit 1; }
echo "    listening on $endpoint"

# --- Kubernetes (harness_gitops_cluster) -------------------------------------------------------
# A local Kubernetes API for the cluster the pipeline deploys to: the provider bootstraps it
# (service account, RBAC, token) through the kubeconfig the emulator writes, and registers it.
echo "==> starting kube-api-emulator (state in $work/kube-data.json, kubeconfig $work/kubeconfig)"
nohup "$bin/kube-api-emulator" --listen 127.0.0.1:0 --kubeconfig-out "$work/kubeconfig" \
  --data "$work/kube-data.json" --token-delay 500ms >"$work/kube-emulator.out" 2>"$work/kube-emulator.log" &
echo $! >"$work/kube-emulator.pid"
for _ in $(seq 1 100); do
  grep -q '^LISTENING ' "$work/kube-emulator.out" 2>/dev/null && break
  sleep 0.1
done
kube_endpoint=$(sed -n 's/^LISTENING //p' "$work/kube-emulator.out" | head -1)
[[ -n "$kube_endpoint" ]] || { echo "the Kubernetes emulator did not start; see $work/kube-emulator.log" >&2; exit 1; }
echo "    listening on $kube_endpoint"
# --- end Kubernetes ----------------------------------------------------------------------------

cat > "$work/env.sh" <<ENV
export TF_CLI_CONFIG_FILE="$work/terraform.rc"
export HARNESS_ENDPOINT="$endpoint"
export HARNESS_ACCOUNT_ID="quickstart"
export HARNESS_PLATFORM_API_KEY="$api_key"
export KUBECONFIG="$work/kubeconfig"
ENV
# shellcheck disable=SC1091
source "$work/env.sh"

kube_inventory >"$work/kube-before.txt"

cp "$root"/examples/quickstart/*.tf "$work/run/"
cd "$work/run"
echo "==> terraform init"
"$terraform" init -input=false -no-color >"$work/init.log" || { cat "$work/init.log"; exit 1; }
echo "==> terraform apply"
"$terraform" apply -auto-approve -input=false -no-color

echo
echo "==> terraform output"
"$terraform" output -no-color
echo
echo "==> what the emulator holds (GET $endpoint/_emulator/state)"
state=$(curl -sf -H "x-api-key: $api_key" "$endpoint/_emulator/state")
if command -v jq >/dev/null; then
  jq '[.repositories[] | {identifier, org: .orgIdentifier, project: .projectIdentifier, agent: .agentIdentifier, url: .repository.repo, type: .repository.type, connection: .repository.connectionState.status, createdAt}]' <<<"$state"
elif command -v python3 >/dev/null; then
  python3 -m json.tool <<<"$state"
else
  echo "$state"
fi
# --- Kubernetes (harness_gitops_cluster) -------------------------------------------------------
if command -v jq >/dev/null; then
  echo
  echo "==> the registered cluster (Harness side)"
  jq '[.clusters[] | {identifier, server: .cluster.server, connectionType: .cluster.config.clusterConnectionType, connection: .cluster.connectionState.status, serverVersion: .cluster.serverVersion}]' <<<"$state"
fi
echo
echo "==> what the bootstrap made in the cluster (kubectl, KUBECONFIG=$work/kubeconfig)"
kubectl get serviceaccounts,secrets,clusterroles,clusterrolebindings -A \
  -l app.kubernetes.io/managed-by=terraform-provider-harness || true
echo
echo "==> the GitOps agent the provider installed (kubectl get deployments,statefulsets,pods -n gitops-agent)"
kubectl get deployments,statefulsets,pods -n gitops-agent || true
if command -v jq >/dev/null; then
  echo "==> the agent as Harness sees it"
  jq '[.agents[] | {identifier, type, connection: .health.connectionStatus, lastHeartbeat: .health.lastHeartbeat, version}]' <<<"$state"
fi
# --- end Kubernetes ----------------------------------------------------------------------------

# ---- harness_gitops_application: the ML pipeline's status as Argo CD reports it ----
echo
echo "==> the ML pipeline application (terraform output ml_pipeline)"
"$terraform" output -no-color ml_pipeline
sync=$("$terraform" output -json ml_pipeline | sed -n 's/.*"sync_status": *"\([^"]*\)".*/\1/p')
health=$("$terraform" output -json ml_pipeline | sed -n 's/.*"health_status": *"\([^"]*\)".*/\1/p')
if [[ "$sync" != "Synced" || "$health" != "Healthy" ]]; then
  echo "the ML pipeline is not Synced and Healthy (sync: ${sync:-?}, health: ${health:-?})" >&2
  exit 1
fi
echo "    ml-pipeline: $sync and $health"
if command -v jq >/dev/null; then
  echo "==> the application as the emulator holds it"
  curl -sf -H "x-api-key: $api_key" "$endpoint/_emulator/state" |
    jq '[.applications[] | {name, project: .projectIdentifier, agent: .agentIdentifier, path: .app.spec.source.path, sync: .app.status.sync.status, health: .app.status.health.status, revision: .app.status.sync.revision}]'
fi
# ---- end of harness_gitops_application ----

cat <<NEXT

Done. The emulators keep running (pids $(cat "$work/emulator.pid") and $(cat "$work/kube-emulator.pid")), so you can go on:
  cd $work/run && source ../env.sh
  terraform plan                 # nothing to change
  kubectl get sa -n kube-system  # the bootstrapped service account (KUBECONFIG is set)
  terraform destroy              # removes the application, the cluster (and its Kubernetes objects), the repositories and the agent (and what it installed)
  $root/scripts/quickstart.sh verify-empty   # after destroy: nothing left in either emulator
  $root/scripts/quickstart.sh stop   # stops the emulators

Against a real Harness account, run the same configuration with:
  export HARNESS_ENDPOINT=https://app.harness.io/gateway
  export HARNESS_ACCOUNT_ID=<your account id>
  export HARNESS_PLATFORM_API_KEY=<a PAT or SAT with GitOps permissions>
  export KUBECONFIG=<a kubeconfig of the cluster to bootstrap and register>
  terraform apply -var org_id=<org> -var project_id=<project> -var agent_id=<new agent identifier>
NEXT
