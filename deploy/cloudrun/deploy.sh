#!/usr/bin/env bash
# Builds the image with Cloud Build, runs the migrations as a Cloud Run Job,
# then deploys the Cloud Run service from deploy/cloudrun/service.yaml.
#
#   deploy/cloudrun/deploy.sh --project my-project [--region europe-west1] \
#     [--service capsules-api] [--image REGION-docker.pkg.dev/PROJECT/capsules/capsules-api:TAG] \
#     [--cloudsql-instance PROJECT:REGION:INSTANCE] [--service-account EMAIL] \
#     [--skip-build] [--skip-migrate] [--allow-unauthenticated] [--dry-run]
#
# --skip-build needs --image (the default tag is the one this run would build).
# --dry-run prints the gcloud commands and the rendered service.yaml; it runs no gcloud.
#
# Needs gcloud (authenticated), an Artifact Registry repository for the image,
# the Secret Manager secrets capsules-database-url and capsules-api-keys, and a
# service account with roles/cloudsql.client and roles/secretmanager.secretAccessor
# (deploy/README.md).
set -euo pipefail

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

PROJECT_ID=""
REGION="europe-west1"
SERVICE="capsules-api"
IMAGE=""
CLOUDSQL_INSTANCE=""
SERVICE_ACCOUNT=""
SKIP_BUILD=0
SKIP_MIGRATE=0
ALLOW_UNAUTHENTICATED=0
DRY_RUN=0

while [ $# -gt 0 ]; do
  case "$1" in
    --project | -p) PROJECT_ID="${2:?--project needs a value}"; shift 2 ;;
    --region | -r) REGION="${2:?--region needs a value}"; shift 2 ;;
    --service | -s) SERVICE="${2:?--service needs a value}"; shift 2 ;;
    --image | -i) IMAGE="${2:?--image needs a value}"; shift 2 ;;
    --cloudsql-instance) CLOUDSQL_INSTANCE="${2:?--cloudsql-instance needs a value}"; shift 2 ;;
    --service-account) SERVICE_ACCOUNT="${2:?--service-account needs a value}"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --skip-migrate) SKIP_MIGRATE=1; shift ;;
    --allow-unauthenticated) ALLOW_UNAUTHENTICATED=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 >&2 ;;
  esac
done

[ -n "$PROJECT_ID" ] || { echo "--project is required" >&2; usage 2 >&2; }
# The default tag names this checkout, which only the build step pushes.
if [ "$SKIP_BUILD" = 1 ] && [ -z "$IMAGE" ]; then
  echo "--skip-build needs --image (the default tag would name an image that was never built)" >&2
  usage 2 >&2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TAG="$(git -C "$ROOT" describe --always --dirty --abbrev=12 2>/dev/null || date +%Y%m%d%H%M%S)"
IMAGE="${IMAGE:-$REGION-docker.pkg.dev/$PROJECT_ID/capsules/$SERVICE:$TAG}"
CLOUDSQL_INSTANCE="${CLOUDSQL_INSTANCE:-$PROJECT_ID:$REGION:capsules}"
SERVICE_ACCOUNT="${SERVICE_ACCOUNT:-$SERVICE@$PROJECT_ID.iam.gserviceaccount.com}"
JOB="$SERVICE-migrate"

run() {
  printf '+ %s\n' "$*"
  if [ "$DRY_RUN" = 0 ]; then "$@"; fi
}

echo "project $PROJECT_ID, region $REGION, service $SERVICE"
echo "image $IMAGE"
echo "Cloud SQL $CLOUDSQL_INSTANCE, service account $SERVICE_ACCOUNT"

# 1. Build (Cloud Build reads the Dockerfile; the upload honours .gcloudignore or .gitignore).
if [ "$SKIP_BUILD" = 0 ]; then
  run gcloud builds submit "$ROOT" --project "$PROJECT_ID" --tag "$IMAGE"
fi

# 2. Migrations: a Cloud Run Job on the same image, then wait for it.
if [ "$SKIP_MIGRATE" = 0 ]; then
  run gcloud run jobs deploy "$JOB" --project "$PROJECT_ID" --region "$REGION" \
    --image "$IMAGE" \
    --command node --args dist/apps/api/src/migrate.js \
    --set-cloudsql-instances "$CLOUDSQL_INSTANCE" \
    --set-secrets DATABASE_URL=capsules-database-url:latest \
    --set-env-vars LOG_LEVEL=info \
    --service-account "$SERVICE_ACCOUNT" \
    --tasks 1 --max-retries 0 --task-timeout 10m \
    --cpu 1 --memory 512Mi
  run gcloud run jobs execute "$JOB" --project "$PROJECT_ID" --region "$REGION" --wait
fi

# 3. The service, from service.yaml with the placeholders filled in.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
rendered="$tmp/service.yaml"
sed -e "s|\${SERVICE}|$SERVICE|g" \
  -e "s|\${REGION}|$REGION|g" \
  -e "s|\${IMAGE}|$IMAGE|g" \
  -e "s|\${CLOUDSQL_INSTANCE}|$CLOUDSQL_INSTANCE|g" \
  -e "s|\${SERVICE_ACCOUNT}|$SERVICE_ACCOUNT|g" \
  -e "s|\${PROJECT_ID}|$PROJECT_ID|g" \
  "$ROOT/deploy/cloudrun/service.yaml" >"$rendered"
# shellcheck disable=SC2016 # a literal ${
if grep -n '^[^#]*\${' "$rendered"; then
  echo "service.yaml still has placeholders (above)" >&2
  exit 1
fi
if [ "$DRY_RUN" = 1 ]; then
  echo '# rendered service.yaml (dry run):'
  cat "$rendered"
fi
run gcloud run services replace "$rendered" --project "$PROJECT_ID" --region "$REGION"

# The API checks its own keys; Cloud Run's IAM check is on unless asked otherwise.
if [ "$ALLOW_UNAUTHENTICATED" = 1 ]; then
  run gcloud run services add-iam-policy-binding "$SERVICE" --project "$PROJECT_ID" --region "$REGION" \
    --member allUsers --role roles/run.invoker
fi

if [ "$DRY_RUN" = 0 ]; then
  url="$(gcloud run services describe "$SERVICE" --project "$PROJECT_ID" --region "$REGION" --format 'value(status.url)')"
  echo "deployed: $url (probe: $url/health/ready)"
fi
