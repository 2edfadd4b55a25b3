#!/usr/bin/env bash
# Mutation testing: does the fast suite notice when a module's code is changed?
#   bash scripts/mutation.sh                        the modules that decide (list below)
#   bash scripts/mutation.sh variants.py redact.py  named modules (paths under src/poetry_platform)
#   MUTATION_KEEP=1 bash scripts/mutation.sh ...    keep the scratch copy (then `mutmut show NAME`
#                                                   inside it prints one mutant's diff)
#   MUTATION_TESTS=tests/test_variants.py bash scripts/mutation.sh variants.py
#                                                   a quicker loop while writing tests: only those
#                                                   tests judge (not the score that counts)
# mutmut (pinned in the dev group) mutates each function of the named modules, one mutant at a
# time in one process, niced, in a scratch copy of the working tree (tracked and untracked files,
# so tests not yet committed count); the judge is the fast suite (`-m "not slow"`), each mutant
# against the tests that run its function. scripts/mutation_report.py then prints a score per
# module and every surviving mutant with its diff. Mutants listed in
# scripts/mutation_equivalent.toml (they cannot change behaviour, each with the reason) count as
# killed. Exit status 1 when a module scores under MUTATION_MIN percent (default 95).
# Not part of CI: it takes minutes per module (README, Development).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/bootstrap.sh

modules=("$@")
if [ ${#modules[@]} -eq 0 ]; then
    modules=(variants.py lockset/files.py up/constraints.py redact.py check/fidelity.py check/remedies.py
        lockset/tags.py lockset/install_set.py patterns.py host/nvidia_text.py up/take.py
        up/filters.py accelerators.py check/plan.py
        check/served.py check/cpu_source.py)
fi
paths=()
for module in "${modules[@]}"; do
    path="src/poetry_platform/${module#src/poetry_platform/}"
    if [ ! -f "$path" ]; then
        echo "mutation.sh: no module $path; name modules as paths under src/poetry_platform (e.g. up/constraints.py)" >&2
        exit 2
    fi
    paths+=("$path")
done

work=$(mktemp -d "${TMPDIR:-/tmp}/poetry-platform-mutation.XXXXXX")
if [ -z "${MUTATION_KEEP:-}" ]; then
    trap 'rm -rf "$work"' EXIT
fi
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' file; do if [ -f "$file" ]; then printf '%s\0' "$file"; fi; done \
    | tar -cf - --null -T - | tar -xf - -C "$work"

# mutmut reads [mutmut] from setup.cfg when pyproject.toml has no [tool.mutmut]. The files the
# tests read besides src/ and tests/ (README, docs, examples, scripts) are copied along.
{
    echo "[mutmut]"
    echo "source_paths = src"
    echo "only_mutate ="
    printf '    %s\n' "${paths[@]}"
    echo "pytest_add_cli_args_test_selection ="
    printf '    %s\n' ${MUTATION_TESTS:-tests} -m "not slow"
    echo "also_copy ="
    for entry in "$work"/* "$work"/.[!.]*; do
        name=${entry##*/}
        case "$name" in src | tests | setup.cfg | '.[!.]*') ;; *) echo "    $name" ;; esac
    done
    echo "use_git_change_detection = false"
} > "$work/setup.cfg"

echo "mutating ${paths[*]} (scratch copy: $work); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
if ! (cd "$work" && nice -n 10 "$root/.venv/bin/mutmut" run --max-children 1 > mutmut.log 2>&1); then
    tr '\r' '\n' < "$work/mutmut.log" | grep -v '^ *$' | tail -40 >&2
    echo "mutation.sh: mutmut failed (its log above)" >&2
    exit 2
fi
seconds=$(($(date +%s) - start))
echo "mutmut ran ${seconds} s; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$work"
"$root/.venv/bin/python" "$root/scripts/mutation_report.py" \
    --equivalent "$root/scripts/mutation_equivalent.toml" --min "${MUTATION_MIN:-95}" "${paths[@]}"
