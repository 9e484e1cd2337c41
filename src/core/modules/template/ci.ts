/** The scaffold's own test (the whole path on a real Podman) and its CI workflow. */

export const testSh = (name: string) => `#!/bin/sh
# The module's test, on a real Podman: lint, build into a throw-away signed repository, install
# into a temporary root, start, GET /health through the unix socket, set an access token and check
# GET / needs it, remove, check nothing is left. Modules this one uses (manifest \`uses\`) are built
# into the same repository from the folder of each name next to this one, and removed with it.
# Needs blueprint (or BLUEPRINT=/path/to/blueprint), podman (as root), Node 24 with npx, curl.
# Leaves the box's own installation (root /) alone, but do not run it where ${name} is running.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bp=\${BLUEPRINT:-blueprint}
work=$(mktemp -d)
root=$work/root
used=$(node -e 'for (const u of require(process.argv[1]).uses ?? []) console.log(u.split(/[<>=!,~^ ]/)[0])' "$here/manifest.json")
cleanup() {
  "$bp" --root "$root" --yes --quiet pkg remove --purge ${name} $used >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$bp" module lint "$here"
fpr=$("$bp" --json repo keygen --out "$work/key" | grep -o '"fingerprint": *"[0-9A-Fa-f]*"' | grep -o '[0-9A-Fa-f]\\{40,\\}')
for u in $used; do
  [ -f "$here/../$u/manifest.json" ] || { echo "${name} uses $u: put its module folder next to this one ($(dirname "$here")/$u) to build it into the test repository" >&2; exit 1; }
  "$bp" repo build "$here/../$u" --repo "$work/repo" --key "$work/key/signing-key.asc"
done
"$bp" repo build "$here" --repo "$work/repo" --key "$work/key/signing-key.asc"
"$bp" --root "$root" pkg key add "$work/key/signing-key.pub.asc" --fingerprint "$fpr"
"$bp" --root "$root" pkg repo add test "$work/repo"
"$bp" --root "$root" pkg update
"$bp" --root "$root" --yes pkg install ${name}
"$bp" --root "$root" service start ${name}
answer=$(curl -fsS --unix-socket "$root/run/blueprint/services/${name}/api.sock" http://${name}/health)
[ "$answer" = '{"status":"ok"}' ] || { echo "GET /health answered: $answer" >&2; exit 1; }
# The admin's access token (blueprint service token): after a restart GET / needs it, /health not.
sock="$root/run/blueprint/services/${name}/api.sock"
token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \\n')
printf '%s\\n' "$token" | "$bp" --root "$root" --quiet service token ${name} --stdin
"$bp" --root "$root" service restart ${name}
code=$(curl -sS -o /dev/null -w '%{http_code}' --unix-socket "$sock" http://${name}/)
[ "$code" = 401 ] || { echo "GET / without the access token answered $code, not 401" >&2; exit 1; }
(umask 077 && printf 'Authorization: Bearer %s\\n' "$token" >"$work/auth")
curl -fsS -o /dev/null -H @"$work/auth" --unix-socket "$sock" http://${name}/
"$bp" --root "$root" --yes pkg remove --purge ${name} $used
for m in ${name} $used; do
  left=$(podman ps -a -q --filter label=org.blueprintos.module=$m)
  [ -z "$left" ] || { echo "containers left behind: $left" >&2; exit 1; }
done
echo "${name}: test passed"
`;

export const workflow = (
  name: string,
) => `# CI for the ${name} module: lint, build the image and run the module's test on every push and pull
# request; sign and publish the package to a static repository only from main. A weekly run re-signs
# the index, which boxes refuse once it expires (30 days).
#
# Set up once, in the repository's settings:
# - Protect the branch main (pull requests with review; no force pushes).
# - Create the environment "release", limited to the branch main, with required reviewers; give it
#   the secrets BLUEPRINT_SIGNING_KEY (the armored private key from \`blueprint repo keygen\`) and
#   BLUEPRINT_KEY_PASSPHRASE (if the key has one). Secrets of an environment never reach pull
#   requests or other branches.
# - Set the variables BLUEPRINT_URL and BLUEPRINT_SHA256: where to download the blueprint
#   executable and its SHA-256 (the download is refused if it differs).
# - The static repository is the branch gh-pages (serve it with GitHub Pages, or copy it anywhere):
#   boxes add it with \`bpkg repo add NAME https://OWNER.github.io/REPO\` and pin your key.
# - It is also published to GitHub Packages (oci://ghcr.io/OWNER/${name}, with the job's own
#   GITHUB_TOKEN): boxes can add that as the repository or as a mirror (--mirror).
#
# A push that keeps manifest.json's version is published only if it builds the same package: the
# build is reproducible, so an unchanged package is a green run (the index re-signed), and a changed
# one fails with repo build's refusal until the version is raised. The image holds the Node that
# setup-node installs (pinned below: raise it with the version) and the runner's shared libraries,
# so a runner image with other libraries builds other contents too: then raise the version.
name: module

on:
  push:
    branches: [main]
  pull_request:
  schedule:
    - cron: '17 3 * * 1'

permissions:
  contents: read

jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 24.21.0
      - name: Install podman, curl and blueprint
        env:
          BLUEPRINT_URL: \${{ vars.BLUEPRINT_URL }}
          BLUEPRINT_SHA256: \${{ vars.BLUEPRINT_SHA256 }}
        run: |
          sudo apt-get update
          sudo apt-get install -y podman curl
          curl -fsSL "$BLUEPRINT_URL" -o "$RUNNER_TEMP/blueprint"
          echo "$BLUEPRINT_SHA256  $RUNNER_TEMP/blueprint" | sha256sum -c -
          sudo install -m 0755 "$RUNNER_TEMP/blueprint" /usr/local/bin/blueprint
          sudo systemctl start podman.socket
      - name: Lint
        run: blueprint module lint .
      - name: Build the image, install, start, probe and remove it
        run: sudo env PATH="$PATH" BLUEPRINT=/usr/local/bin/blueprint sh test.sh

  publish:
    needs: test
    # Only on the protected branch (a push, or the weekly re-signing); never for pull requests.
    if: github.ref == 'refs/heads/main' && (github.event_name == 'push' || github.event_name == 'schedule')
    runs-on: ubuntu-24.04
    environment: release
    permissions:
      contents: write
      packages: write
    concurrency: publish
    steps:
      - uses: actions/checkout@v4
      - name: Check out the published repository (branch gh-pages)
        run: |
          git fetch origin gh-pages && git worktree add site origin/gh-pages || git worktree add --orphan -b gh-pages site
      - uses: actions/setup-node@v4
        with:
          node-version: 24.21.0
      - name: Install podman and blueprint
        env:
          BLUEPRINT_URL: \${{ vars.BLUEPRINT_URL }}
          BLUEPRINT_SHA256: \${{ vars.BLUEPRINT_SHA256 }}
        run: |
          sudo apt-get update
          sudo apt-get install -y podman
          curl -fsSL "$BLUEPRINT_URL" -o "$RUNNER_TEMP/blueprint"
          echo "$BLUEPRINT_SHA256  $RUNNER_TEMP/blueprint" | sha256sum -c -
          sudo install -m 0755 "$RUNNER_TEMP/blueprint" /usr/local/bin/blueprint
      - name: Build, sign and add the package to the repository
        env:
          BLUEPRINT_SIGNING_KEY: \${{ secrets.BLUEPRINT_SIGNING_KEY }}
          BLUEPRINT_KEY_PASSPHRASE: \${{ secrets.BLUEPRINT_KEY_PASSPHRASE }}
        run: |
          umask 077
          key="$RUNNER_TEMP/signing-key.asc"
          trap 'rm -f "$key"' EXIT
          printf '%s\\n' "$BLUEPRINT_SIGNING_KEY" > "$key"
          if [ "$GITHUB_EVENT_NAME" = schedule ]; then
            blueprint repo build --repo site --name ${name} --key "$key"   # re-sign the index only
            exit 0
          fi
          # A version already published: repo build keeps the pool's file when the contents are the
          # same (a push that changed no file of the package) and refuses other contents (exit 5,
          # raise version in manifest.json).
          blueprint repo build . --repo site --name ${name} --key "$key"
      - name: Publish
        working-directory: site
        run: |
          git add -A
          git -c user.name=ci -c user.email=ci@invalid commit -m "${name} \${{ github.sha }}"
          git push origin HEAD:gh-pages
      - name: Publish to GitHub Packages
        env:
          BLUEPRINT_REGISTRY_USER: \${{ github.actor }}
          BLUEPRINT_REGISTRY_PASSWORD: \${{ secrets.GITHUB_TOKEN }}
        run: |
          owner=$(printf '%s' "$GITHUB_REPOSITORY_OWNER" | tr 'A-Z' 'a-z')
          blueprint repo publish site --to "oci://ghcr.io/$owner/${name}"
`;
