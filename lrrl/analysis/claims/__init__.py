"""The claims page: each claim of LRRL's paper, the runs that test it, and a verdict at this scale.

``python -m lrrl.claims`` reads the claim files (``configs/claims/*.toml``:
``claim_files``), the runs of their sweeps (run folders and archived records:
``runs``), judges each claim under the symmetric rules of docs/claims.md
(``rules`` on the numbers, ``judging`` on the runs; the statistics are
``lrrl.analysis.small_sample``'s), writes ``CLAIMS.md`` (``page``) and, with
``--plan``, how many seeds the reruns need (``power``).

Paper: Donâncio et al., "Dynamic Learning Rate for Deep Reinforcement Learning: A
Bandit Approach", arXiv 2410.12598 (v1: Tables 1-3, Fig. 2; v3: abstract, the MuJoCo and
the stationary experiments).
"""
