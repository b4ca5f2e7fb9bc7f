# Claims (pcrepro.claims): every headline finding of the five seeds, measured from the results and
# judged against its rule for this preset.
#   claims_study: one job per study, reading the result files its claims rest on
#   claims: the table results/<preset>/claims.{csv,json} and the report's first page

from pcrepro.claims import STUDIES as CLAIM_STUDIES, claim_files

# the preset grids the claims read (their file lists and measurements)
CLAIM_GRIDS = ("chains", "dln_hessian", "mupc_forward_pass", "mupc_hp_transfer", "mupc_sweeps", "mupc_energy_theory",
               "error_optim", "double_descent")


rule claims_study:
    """The verdicts of the claims that rest on one study's results."""
    input:
        lambda wc: [f"{RESULTS}/{path}" for path in claim_files(wc.study, GRIDS)],
    output:
        f"{RESULTS}/claims/{{study}}.json",
    wildcard_constraints:
        study="|".join(CLAIM_STUDIES),
    params:
        code=code_version("claims_study.py"),
        grids={k: GRIDS[k] for k in CLAIM_GRIDS},
        preset=PRESET,
        results=under(RESULTS),
    log:
        f"logs/{PRESET}/claims/{{study}}.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/claims_study.py"


rule claims:
    """Which findings this run reproduced: one row per claim (pcrepro claims prints the same)."""
    input:
        expand(f"{RESULTS}/claims/{{study}}.json", study=CLAIM_STUDIES),
    output:
        csv=f"{RESULTS}/claims.csv",
        json=f"{RESULTS}/claims.json",
        html=report(f"{RESULTS}/claims.html", caption="../report/claims.rst", category="0 · Claims"),
    params:
        code=code_version("claims.py"),
        preset=PRESET,
    log:
        f"logs/{PRESET}/claims.log",
    localrule: True
    conda:
        CPU_ENV
    script:
        "../workflow_scripts/claims.py"
