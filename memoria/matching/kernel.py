"""The block kernel: numeric evidence and exclusions for every pair of a block.

It computes exactly what :func:`memoria.matching.engine.components` computes
(the tests check that they agree), fused in one compiled loop over the pairs
so that 100,000 × 50,000 files fit in a minute on two cores.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, parallel=True, fastmath=False)
def block_top(
    rows,
    cols,
    am_token_ptr,
    am_token_word,
    am_token_bit,
    am_token_weight,
    pm_bits,
    rare_ptr,
    rare_pos,
    rare_value,
    top_cols,
    top_scores,
    full,
    am_sex,
    am_lo,
    am_hi,
    am_age,
    am_stature,
    am_state,
    am_municipality,
    am_groups,
    am_marks_known,
    pm_sex,
    pm_condition,
    pm_found,
    pm_age_min,
    pm_age_max,
    pm_stature_min,
    pm_stature_max,
    pm_state,
    pm_municipality,
    pm_groups,
    sex_agree,
    sex_conflict,
    age_inside,
    stature_inside,
    same_municipality,
    same_state_other_municipality,
    same_state,
    other_state,
    tattoo_missed,
    time_table,
    popcount,
    unreported_weight,
    found_before_days,
    age_margin,
    age_penalty,
    stature_rounding,
    stature_margin,
    stature_penalty,
):
    """Score every (rows × cols) pair and keep the best per row.

    ``top_cols`` / ``top_scores`` (rows × k, pre-filled with -1 / -inf) receive
    the k best positions in ``cols`` per row; if ``full`` has rows, every score
    is also written there (-inf for an exclusion).
    """
    n_time = time_table.shape[0]
    k_top = top_cols.shape[1]
    write_full = full.shape[0] > 0
    for r in numba.prange(rows.shape[0]):
        i = rows[r]
        p = rare_ptr[r]
        p_end = rare_ptr[r + 1]
        worst = 0
        worst_score = top_scores[r, 0]
        sa = am_sex[i]
        lo = am_lo[i]
        hi = am_hi[i]
        age = am_age[i]
        stature = am_stature[i]
        st_a = am_state[i]
        mu_a = am_municipality[i]
        ga = am_groups[i]
        known = am_marks_known[i]
        for k in range(cols.shape[0]):
            j = cols[k]
            total = np.float32(0.0)
            while p < p_end and rare_pos[p] < k:
                p += 1
            if p < p_end and rare_pos[p] == k:
                total += rare_value[p]
            excluded = False
            sp = pm_sex[j]
            if sa > 0 and sp > 0:
                if sa != sp:
                    if pm_condition[j] < 2:
                        excluded = True
                    total += sex_conflict[j]
                else:
                    total += sex_agree[j]
            elapsed = np.float32(0.0)
            if lo >= 0:
                found = pm_found[j]
                if found < lo - found_before_days:
                    excluded = True
                gap = found - (lo + hi) // 2
                if gap < 0:
                    gap = 0
                if gap > n_time - 1:
                    gap = n_time - 1
                total += time_table[gap]
                if found > hi:
                    elapsed = np.float32(found - hi) / np.float32(365.25)
            amin = pm_age_min[j]
            if not math.isnan(age) and not math.isnan(amin):
                d = max(max(amin - (age + elapsed + 1), age - 1 - pm_age_max[j]), 0.0)
                if d > age_margin:
                    excluded = True
                total += age_inside[j] - age_penalty * d
            smin = pm_stature_min[j]
            if not math.isnan(stature) and not math.isnan(smin):
                d = max(
                    max(
                        smin - stature_rounding - stature,
                        stature - stature_rounding - pm_stature_max[j],
                    ),
                    0.0,
                )
                if d > stature_margin:
                    excluded = True
                total += stature_inside[j] - stature_penalty * d
            st_p = pm_state[j]
            if st_a > 0 and st_p > 0:
                if st_a == st_p:
                    mu_p = pm_municipality[j]
                    if mu_a > 0 and mu_a == mu_p:
                        total += same_municipality[j]
                    elif mu_a > 0 and mu_p > 0:
                        total += same_state_other_municipality[j]
                    else:
                        total += same_state[j]
                else:
                    total += other_state[j]
            gp = pm_groups[j]
            missed = popcount[ga & ~gp & 0x1F]
            if (ga & 0x80) != 0 and gp == 0:
                missed += 1
            total += missed * tattoo_missed[j]
            if known:
                extra = popcount[gp & ~ga & 0x1F]
                if extra > 2:
                    extra = 2
                total += extra * unreported_weight
            for t in range(am_token_ptr[i], am_token_ptr[i + 1]):
                if pm_bits[j, am_token_word[t]] & am_token_bit[t]:
                    total += am_token_weight[t]
            if excluded:
                if write_full:
                    full[r, k] = -np.inf
                continue
            if write_full:
                full[r, k] = total
            if total > worst_score:
                top_cols[r, worst] = k
                top_scores[r, worst] = total
                worst = 0
                worst_score = top_scores[r, 0]
                for q in range(1, k_top):
                    if top_scores[r, q] < worst_score:
                        worst = q
                        worst_score = top_scores[r, q]
