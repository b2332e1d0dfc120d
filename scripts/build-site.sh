#!/usr/bin/env bash
# Builds the browser side of the site without cargo-leptos:
#   WASM (ducatpay-frontend) -> wasm-bindgen -> [wasm-opt] -> <site>/pkg/ducatpay{.js,_bg.wasm}
#   WASM (ducatpay-checkout-frontend, the hosted checkout's island)
#        -> <site>/checkout-pkg/checkout-page{.js,_bg.wasm}
#   style/main.css -> <site>/pkg/ducatpay.css
#
# Usage: scripts/build-site.sh [--dev | --release] [--no-opt]
#   --release   (default) profile `wasm-release` (opt-level z, LTO), then wasm-opt -Oz if available
#   --dev       profile `dev`: fast to compile, large, no wasm-opt
#   --no-opt    skip wasm-opt even in release
# Environment:
#   DUCATPAY_SITE_ROOT     site directory (default: target/site)
#   DUCATPAY_WASM_PROFILE  dev | wasm-release (same as --dev / --release)
#   DUCATPAY_WASM_OPT      0 to skip wasm-opt
#   WASM_OPT               path to a wasm-opt binary to use
#
# Idempotent: when the compiled WASM, the tools and the options are unchanged, wasm-bindgen and
# wasm-opt are skipped (a stamp in <site>/pkg records what produced the files). The server never
# sees a half-written pair of .js/.wasm: outputs are made in a temporary folder and moved in.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

profile="${DUCATPAY_WASM_PROFILE:-wasm-release}"
want_opt="${DUCATPAY_WASM_OPT:-1}"
for arg in "$@"; do
  case "$arg" in
    --dev) profile=dev ;;
    --release) profile=wasm-release ;;
    --no-opt) want_opt=0 ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "build-site: unknown argument: $arg" >&2; exit 2 ;;
  esac
done
case "$profile" in
  dev | wasm-release) ;;
  *) echo "build-site: DUCATPAY_WASM_PROFILE must be dev or wasm-release, not '$profile'" >&2; exit 2 ;;
esac
[[ "$profile" == dev ]] && want_opt=0

site_root="${DUCATPAY_SITE_ROOT:-target/site}"
pkg_dir="$site_root/pkg"
out_name=ducatpay

now() { date +%s.%N; }
t_start=$(now)
t_stage=$t_start
stage_done() {
  local t
  t=$(now)
  awk -v a="$t_stage" -v b="$t" -v s="$1" 'BEGIN { printf "build-site: %-14s %6.1fs\n", s, b - a }'
  t_stage=$t
}

# The CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
lock_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! command -v wasm-bindgen >/dev/null; then
  echo "build-site: wasm-bindgen not found; run scripts/install-tools.sh" >&2
  exit 1
fi
cli_version=$(wasm-bindgen --version | awk '{ print $2 }')
if [[ "$cli_version" != "$lock_version" ]]; then
  echo "build-site: wasm-bindgen CLI is $cli_version but Cargo.lock has $lock_version; run scripts/install-tools.sh" >&2
  exit 1
fi

# Builds one WASM bundle: build_bundle PACKAGE WASM_STEM OUT_NAME PKG_DIR
build_bundle() {
local package="$1" wasm_stem="$2" out_name="$3" pkg_dir="$4" wasm_in tmp stamp stamp_want
# 1. WASM. LEPTOS_OUTPUT_NAME must not be set at compile time: leptos then expects
# `<name>.wasm` instead of wasm-bindgen's `<name>_bg.wasm`.
echo "build-site: cargo build -p $package --target wasm32-unknown-unknown --profile $profile"
wasm_in=$(
  env -u LEPTOS_OUTPUT_NAME cargo build -p "$package" --lib \
    --target wasm32-unknown-unknown --profile "$profile" \
    --message-format=json-render-diagnostics |
    grep -o "\"[^\"]*/$wasm_stem\\.wasm\"" | tail -n 1 | tr -d '"'
)
if [[ -z "$wasm_in" || ! -f "$wasm_in" ]]; then
  echo "build-site: cargo did not report $wasm_stem.wasm" >&2
  exit 1
fi
stage_done "cargo $out_name"

# 2. wasm-opt: a local npm binaryen (end2end/node_modules, pinned) or one on PATH.
# Debian's binaryen 108 breaks hydration (WebAssembly.Table.set TypeError), so require >= 116.
wasm_opt=""
if [[ "$want_opt" != 0 ]]; then
  for candidate in "${WASM_OPT:-}" "$ROOT/end2end/node_modules/.bin/wasm-opt" "$(command -v wasm-opt || true)"; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    v=$("$candidate" --version 2>/dev/null | grep -o 'version [0-9]*' | awk '{ print $2 }')
    if [[ -n "$v" && "$v" -ge 116 ]]; then
      wasm_opt="$candidate"
      break
    fi
    echo "build-site: ignoring $candidate (binaryen ${v:-?} < 116)" >&2
  done
  [[ -z "$wasm_opt" ]] && echo "build-site: no wasm-opt >= 116 found (scripts/install-tools.sh installs one); shipping unoptimised WASM" >&2
fi
opt_id="none"
[[ -n "$wasm_opt" ]] && opt_id="$("$wasm_opt" --version 2>/dev/null | head -n 1)"

# 3. wasm-bindgen (+ wasm-opt) unless the stamp says the outputs already match the input.
stamp="$pkg_dir/.build-stamp"
stamp_want="$(sha256sum "$wasm_in" | cut -d' ' -f1) profile=$profile bindgen=$cli_version opt=$opt_id"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$stamp_want" && -f "$pkg_dir/$out_name.js" && -f "$pkg_dir/${out_name}_bg.wasm" ]]; then
  echo "build-site: WASM unchanged, skipping wasm-bindgen and wasm-opt"
  stage_done "bindgen+opt"
else
  mkdir -p "$pkg_dir"
  tmp=$(mktemp -d "$site_root/.pkg-tmp.XXXXXX")
  trap 'rm -rf "${tmp:-}"' EXIT
  bindgen_args=(--target web --out-dir "$tmp" --out-name "$out_name" --no-typescript)
  [[ "$profile" == dev ]] && bindgen_args+=(--debug --keep-debug)
  wasm-bindgen "${bindgen_args[@]}" "$wasm_in"
  stage_done "wasm-bindgen"

  if [[ -n "$wasm_opt" ]]; then
    # The features rustc enables by default for wasm32-unknown-unknown; wasm-opt must accept them.
    "$wasm_opt" -Oz \
      --enable-bulk-memory --enable-mutable-globals --enable-sign-ext \
      --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
      -o "$tmp/${out_name}_bg.opt.wasm" "$tmp/${out_name}_bg.wasm"
    mv "$tmp/${out_name}_bg.opt.wasm" "$tmp/${out_name}_bg.wasm"
    stage_done "wasm-opt"
  fi

  # Precompressed copies: the server's ServeDir sends them to clients that accept gzip.
  gzip -9 -n -k -f "$tmp/${out_name}_bg.wasm" "$tmp/$out_name.js"
  rm -rf "$pkg_dir/snippets"
  [[ -d "$tmp/snippets" ]] && mv "$tmp/snippets" "$pkg_dir/snippets"
  # The .wasm first, then the .js that loads it, so a page never gets a new .js with an old .wasm.
  for f in "${out_name}_bg.wasm.gz" "${out_name}_bg.wasm" "$out_name.js.gz" "$out_name.js"; do
    mv -f "$tmp/$f" "$pkg_dir/$f"
  done
  echo "$stamp_want" >"$stamp"
  rm -rf "$tmp"
  stage_done "gzip+install"
fi

wasm_size=$(stat -c %s "$pkg_dir/${out_name}_bg.wasm")
wasm_gz=$(stat -c %s "$pkg_dir/${out_name}_bg.wasm.gz")
js_size=$(stat -c %s "$pkg_dir/$out_name.js")
printf 'build-site: %s_bg.wasm %d KiB (%d KiB gzip), %s.js %d KiB\n' \
  "$out_name" $((wasm_size / 1024)) $((wasm_gz / 1024)) "$out_name" $((js_size / 1024))
}

# The start page and cabinet (app + frontend) into <site>/pkg.
build_bundle ducatpay-frontend ducatpay_frontend "$out_name" "$pkg_dir"
# The hosted checkout (checkout + checkout-frontend, islands only) into <site>/checkout-pkg.
build_bundle ducatpay-checkout-frontend ducatpay_checkout_frontend checkout-page "$site_root/checkout-pkg"

# 4. CSS (copied only when it differs, so its mtime and ETag stay stable).
mkdir -p "$pkg_dir"
if ! cmp -s style/main.css "$pkg_dir/$out_name.css"; then
  cp style/main.css "$pkg_dir/$out_name.css.tmp"
  mv -f "$pkg_dir/$out_name.css.tmp" "$pkg_dir/$out_name.css"
fi
stage_done "css"

wasm_size=$(stat -c %s "$pkg_dir/${out_name}_bg.wasm")
wasm_gz=$(stat -c %s "$pkg_dir/${out_name}_bg.wasm.gz")
js_size=$(stat -c %s "$pkg_dir/$out_name.js")
printf 'build-site: %s (%s, wasm-opt: %s)\n' "$pkg_dir" "$profile" "${opt_id}"
printf 'build-site: %s_bg.wasm %d KiB (%d KiB gzip), %s.js %d KiB\n' \
  "$out_name" $((wasm_size / 1024)) $((wasm_gz / 1024)) "$out_name" $((js_size / 1024))
awk -v a="$t_start" -v b="$(now)" 'BEGIN { printf "build-site: total %.1fs\n", b - a }'
