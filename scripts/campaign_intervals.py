"""Why fct_campaign_results computes its intervals the way it does: a seeded simulation.

``.venv/bin/python scripts/campaign_intervals.py`` (about half a minute) prints, for
campaigns shaped like the demo's (a few thousand users, a 10% holdout, adoption around
2% in 28 days) and for larger ones:

1. the coverage of the uplift's 95% interval: the plain normal approximation (sample
   variances) against Agresti and Caffo's (one adopter and one non-adopter added to each
   arm), the one the mart uses;
2. for the adjusted uplift (the model's probability as covariate), the coverage, the
   mean narrowing against the unadjusted interval and the share of campaigns where the
   adjusted interval comes out wider: one slope for both arms (ANCOVA) against a slope
   per arm (Lin 2013, the mart's), both with the Agresti and Caffo arms.

Users' probabilities are lognormal around the base rate and calibrated (a user adopts by
herself with her probability); the campaign makes a contacted user adopt with the
effect's probability, the same for everyone or growing with the user's probability.
Coverage is of the campaign's own average effect on its users.
"""

from __future__ import annotations

import numpy as np

Z = 1.96


def unadjusted_coverage(
    rng: np.random.Generator, p_contacted: float, p_holdout: float, n_contacted: int, n_holdout: int
) -> tuple[float, float]:
    """Coverage of the plain and of Agresti and Caffo's interval, 200,000 draws."""
    draws = 200_000
    y_c = rng.binomial(n_contacted, p_contacted, draws)
    y_h = rng.binomial(n_holdout, p_holdout, draws)
    truth = p_contacted - p_holdout
    r_c, r_h = y_c / n_contacted, y_h / n_holdout
    se = np.sqrt(r_c * (1 - r_c) / (n_contacted - 1) + r_h * (1 - r_h) / (n_holdout - 1))
    plain = np.abs(r_c - r_h - truth) <= Z * se
    a_c, a_h = (y_c + 1) / (n_contacted + 2), (y_h + 1) / (n_holdout + 2)
    se = np.sqrt(a_c * (1 - a_c) / (n_contacted + 1) + a_h * (1 - a_h) / (n_holdout + 1))
    augmented = np.abs(a_c - a_h - truth) <= Z * se
    return float(plain.mean()), float(augmented.mean())


def _arm(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float, float]:
    """An arm with one adopter and one non-adopter added at its mean x: n, rate, var(y),
    var(x), cov(x, y)."""
    x = np.r_[x, x.mean(), x.mean()]
    y = np.r_[y, 1.0, 0.0]
    cov = np.cov(x, y, ddof=1)
    return len(x), y.mean(), cov[1, 1], cov[0, 0], cov[0, 1]


def adjusted(
    rng: np.random.Generator, users: int, effect: float, growing: bool, base: float, spread: float
) -> dict[str, float]:
    """One slope against a slope per arm over 3,000 simulated campaigns."""
    found: dict[str, list[float]] = {key: [] for key in ("common", "per_arm")}
    wider: dict[str, list[bool]] = {key: [] for key in found}
    covered: dict[str, list[bool]] = {key: [] for key in found}
    for _ in range(3_000):
        x = np.minimum(rng.lognormal(np.log(base) - spread**2 / 2, spread, users), 0.6)
        by_herself = rng.random(users) < x
        chance = effect * (x / x.mean() if growing else 1.0)
        because = rng.random(users) < np.clip(chance, 0, 1)
        truth = float((because & ~by_herself).mean())
        holdout = rng.random(users) < 0.1
        y = (by_herself | (because & ~holdout)).astype(float)
        n_c, r_c, vy_c, vx_c, c_c = _arm(x[~holdout], y[~holdout])
        n_h, r_h, vy_h, vx_h, c_h = _arm(x[holdout], y[holdout])
        se = np.sqrt(vy_c / n_c + vy_h / n_h)
        mean_c, mean_h, mean = x[~holdout].mean(), x[holdout].mean(), x.mean()
        # one slope over both arms; each arm's variance of y - theta x
        theta = np.cov(x, y, ddof=1)[0, 1] / x.var(ddof=1)
        centre = r_c - r_h - theta * (mean_c - mean_h)
        se_common = np.sqrt(
            (vy_c - 2 * theta * c_c + theta**2 * vx_c) / n_c
            + (vy_h - 2 * theta * c_h + theta**2 * vx_h) / n_h
        )
        # a slope per arm, each arm's rate moved to the mean x of both
        t_c, t_h = c_c / vx_c, c_h / vx_h
        centre_lin = (r_c - t_c * (mean_c - mean)) - (r_h - t_h * (mean_h - mean))
        se_lin = np.sqrt((vy_c - c_c**2 / vx_c) / n_c + (vy_h - c_h**2 / vx_h) / n_h)
        for key, c, s in (("common", centre, se_common), ("per_arm", centre_lin, se_lin)):
            found[key].append(1 - s / se)
            wider[key].append(s > se)
            covered[key].append(abs(c - truth) <= Z * s)
    return {
        f"{key} {what}": float(np.mean(values[key]))
        for key in found
        for what, values in (("coverage", covered), ("narrowing", found), ("wider", wider))
    }


def main() -> int:
    rng = np.random.default_rng(2026)
    print("1. The uplift's 95% interval: coverage (200,000 draws each)")
    print("   rate contacted  rate holdout  contacted  holdout   plain  Agresti-Caffo")
    for p_c, p_h, n_c, n_h in (
        (0.02, 0.02, 2100, 230),
        (0.07, 0.022, 2000, 210),
        (0.05, 0.02, 2050, 225),
        (0.01, 0.01, 1000, 100),
        (0.05, 0.05, 20_000, 2_000),
        (0.30, 0.20, 900, 100),
    ):
        plain, augmented = unadjusted_coverage(rng, p_c, p_h, n_c, n_h)
        print(f"   {p_c:>15.3f} {p_h:>13.3f} {n_c:>10,} {n_h:>8,} {plain:>7.3f} {augmented:>14.3f}")
    print("\n2. The adjusted uplift: one slope vs a slope per arm (3,000 campaigns each)")
    print("   users  effect  grows  base  spread |  coverage   narrowing     wider")
    print("                                      | one  per-arm  one  per-arm  one  per-arm")
    for users, effect, growing, base, spread in (
        (2400, 0.05, False, 0.02, 1.0),
        (2400, 0.0, False, 0.02, 1.0),
        (2400, 0.05, True, 0.02, 1.0),
        (2400, 0.03, False, 0.02, 1.5),
        (20_000, 0.02, False, 0.02, 1.5),
    ):
        r = adjusted(rng, users, effect, growing, base, spread)
        print(
            f"   {users:>5,} {effect:>7.2f} {'yes' if growing else 'no':>6} {base:>5.2f}"
            f" {spread:>7.1f} | {r['common coverage']:.3f} {r['per_arm coverage']:.3f}"
            f" {r['common narrowing']:+.3f} {r['per_arm narrowing']:+.3f}"
            f" {r['common wider']:.2f} {r['per_arm wider']:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
