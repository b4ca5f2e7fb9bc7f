# Results bundles (pcrepro.pipeline.bundle): with results.bundle set, the bundle is verified and
# unpacked into results/<preset>/ once, before any job; the rule bundled_results then stands for
# every result it holds, so no compute job is planned for them, and figures, claims and the
# report are built from them. Included last: it needs every rule's script to compare code.

from snakemake.exceptions import WorkflowError

from pcrepro.pipeline.bundle import RESULTS_NOTE_ENV, BundleError, use_bundle

RESULTS_CONFIG = config.get("results") or {}
BUNDLED, BUNDLE_NOTE = [], ""

if RESULTS_CONFIG.get("bundle"):
    _scripts = {r.name: Path(r.script).name for r in workflow.rules if r.script}
    try:
        BUNDLED, BUNDLE_NOTE = use_bundle(
            str(RESULTS_CONFIG["bundle"]), sha256=RESULTS_CONFIG.get("bundle_sha256"), results_dir=RESULTS,
            preset=PRESET, current_code={rule: code_version(script) for rule, script in _scripts.items()},
            allow_other_code=RESULTS_CONFIG.get("bundle_code", "same") == "any")
    except BundleError as err:
        raise WorkflowError(str(err)) from None
    # what every claim and figure says when the bundle's code is not this checkout's (set, not
    # required: a job started by a cluster reads the workflow, and sets it, again)
    os.environ.update({RESULTS_NOTE_ENV: BUNDLE_NOTE})

    rule bundled_results:
        """The results the bundle holds (unpacked when the workflow started)."""
        output:
            BUNDLED,
        localrule: True
        run:
            raise WorkflowError(f"results of the bundle {RESULTS_CONFIG['bundle']} are missing from {RESULTS}: "
                                f"delete {RESULTS}/.bundle.json and run again to unpack it")

    for _rule in [r.name for r in workflow.rules if r.name != "bundled_results"]:
        workflow.ruleorder("bundled_results", _rule)
