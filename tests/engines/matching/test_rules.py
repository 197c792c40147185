"""The engine's known cases: exclusions, wording, missing evidence."""

import math

import numpy as np
import pytest

from memoria.matching import explain, features
from tests.engines.matching.helpers import pair


def explained(person=None, body=None):
    am, pm, model = pair(person, body)
    return explain(model, am, pm, 0, 0)


def weights(explanation) -> dict:
    return {e.code if e.code != "shared" else e.detail: e.weight for e in explanation.evidence}


# Hard exclusions -----------------------------------------------------------


def test_a_plain_compatible_pair_is_not_excluded_and_scores_above_zero():
    e = explained()
    assert not e.excluded
    assert e.score > 0


def test_a_sex_conflict_on_a_complete_body_excludes():
    e = explained(body={"sex_estimate": "female"})
    assert [x.code for x in e.exclusions] == ["sex"]
    assert math.isinf(e.score)


@pytest.mark.parametrize("condition", ["skeletonized", "fragmented"])
def test_a_sex_conflict_on_a_skeleton_lowers_the_score_but_does_not_exclude(condition):
    agree = explained(body={"condition": condition})
    conflict = explained(body={"sex_estimate": "female", "condition": condition})
    assert not conflict.excluded
    assert weights(conflict)["sex"] < 0 < weights(agree)["sex"]


def test_undetermined_sex_is_neither_for_nor_against():
    e = explained(body={"sex_estimate": "undetermined"})
    assert "sex" not in weights(e)


def test_remains_found_well_before_the_person_was_last_seen_are_excluded():
    e = explained(body={"found_date": "2020-01-15"})
    assert [x.code for x in e.exclusions] == ["found_before"]


def test_remains_found_a_few_days_before_the_reported_date_are_kept():
    # Families sometimes report the date a few days late.
    assert not explained(body={"found_date": "2020-03-01"}).excluded


def test_a_partial_date_last_seen_counts_from_its_first_day():
    assert not explained({"last_seen_date": "2020-03"}, {"found_date": "2020-02-20"}).excluded
    assert explained({"last_seen_date": "2020"}, {"found_date": "2019-11-01"}).excluded


def test_an_age_at_death_impossible_for_the_age_at_disappearance_excludes():
    e = explained({"age_at_disappearance": "45"}, {"age_min": "20", "age_max": "30"})
    assert [x.code for x in e.exclusions] == ["age"]
    younger = explained({"age_at_disappearance": "15"}, {"age_min": "30", "age_max": "40"})
    assert [x.code for x in younger.exclusions] == ["age"]


def test_years_elapsed_make_an_older_age_at_death_possible():
    person = {"age_at_disappearance": "20", "last_seen_date": "2008-05-01"}
    body = {"found_date": "2020-06-01", "age_min": "30", "age_max": "36"}
    assert not explained(person, body).excluded
    assert explained(person, {**body, "found_date": "2009-06-01"}).excluded


def test_an_age_range_that_misses_by_a_little_lowers_the_score_only():
    inside = explained({"age_at_disappearance": "30"}, {"age_min": "25", "age_max": "35"})
    near = explained({"age_at_disappearance": "30"}, {"age_min": "34", "age_max": "40"})
    assert not near.excluded
    assert weights(near)["age"] < weights(inside)["age"]


def test_an_open_age_range_means_older_than():
    assert not explained({"age_at_disappearance": "70"}, {"age_min": "50", "age_max": ""}).excluded


def test_disjoint_statures_beyond_measurement_error_exclude():
    e = explained({"stature_cm": "180"}, {"stature_min_cm": "150", "stature_max_cm": "158"})
    assert [x.code for x in e.exclusions] == ["stature"]
    near = explained({"stature_cm": "170"}, {"stature_min_cm": "158", "stature_max_cm": "162"})
    assert not near.excluded
    assert weights(near)["stature"] < weights(explained())["stature"]


# Wording equivalences ------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "forensic", "token"),
    [
        (
            "tatuaje en la panza de una virgencita",
            "tatuaje en mesogastrio: imagen religiosa femenina",
            "m:tattoo:abdomen:virgin",
        ),
        (
            "tatuaje antebrazo derecho: rosa con nombre MARIA",
            'tatuaje en cara anterior de antebrazo der.: motivo floral con la leyenda "MARIA"',
            "t:MARIA",
        ),
        (
            "tatuaje en la espalda de la Santa Muerte",
            "tatuaje en región escapular: figura esquelética con túnica y guadaña",
            "m:tattoo:back:santa_muerte",
        ),
        (
            "cicatriz de la operación del apéndice",
            "cicatriz quirúrgica en fosa iliaca derecha (apendicectomía)",
            "m:scar:any:appendix",
        ),
        (
            "tiene una placa en la pierna izquierda",
            "material de osteosíntesis en tibia izquierda",
            "m:implant:any",
        ),
    ],
)
def test_family_and_forensic_marks_meet(family, forensic, token):
    e = explained({"marks": family}, {"marks": forensic})
    assert token in weights(e) or token.replace(":any", ":leg") in weights(e)


def test_an_implant_is_found_whatever_the_bone_is_called():
    e = explained(
        {"marks": "tiene una placa en la pierna izquierda"},
        {"marks": "material de osteosíntesis en tibia izquierda", "condition": "skeletonized"},
    )
    shared = [k for k in weights(e) if k.startswith("m:implant")]
    assert shared


def test_colloquial_teeth_meet_fdi_numbers():
    am, pm, model = pair(
        {"dental": "le falta un diente de enfrente de arriba; corona de oro en una muela de abajo"},
        {"dental": "ausencia ante mortem de pieza 21; corona de metal amarillo en pieza 36"},
    )
    assert {"d:missing:U:i1", "d:crown:L:m"} <= set(am.tokens[0]) & set(pm.tokens[0])
    w = weights(explain(model, am, pm, 0, 0))
    assert w["d:missing:U:i1"] > 0
    assert w["d:crown"] > 0


def test_teeth_lost_after_death_are_not_evidence():
    assert features.dental("ausencia post mortem de pieza 21") == ()


def test_garments_colours_and_brands_meet():
    e = explained(
        {"clothing": "pantalón de mezclilla azul, playera roja, tenis blancos Nike"},
        {
            "clothing": "pantalón tipo jeans color azul; camiseta de algodón, color rojo; "
            "calzado deportivo blanco marca Nike"
        },
    )
    shared = weights(e)
    for token in ("c:trousers:blue", "c:tshirt:red", "c:sneakers:white", "b:nike"):
        assert token in shared, token


def test_a_rare_shared_token_weighs_more_than_a_common_one():
    am, pm, model = pair(
        {"marks": "tatuaje en el pecho: un alacrán", "clothing": "playera blanca"},
        {"marks": "tatuaje en región pectoral: escorpión", "clothing": "playera color blanco"},
    )
    e = explain(model, am, pm, 0, 0)
    w = weights(e)
    assert w["m:tattoo:chest"] > 0
    assert w["m:tattoo:any:scorpion"] > w.get("c:tshirt", 0)


# Missing evidence is not contrary evidence ----------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"condition": "skeletonized"},
        {"condition": "fragmented"},
        {"condition": "complete", "marks": "piel no valorable por putrefacción avanzada"},
    ],
)
def test_a_body_that_cannot_show_skin_does_not_count_a_tattoo_against(body):
    e = explained({"marks": "tatuaje en el brazo derecho: una rosa"}, body)
    assert "tattoos_not_found" not in weights(e)
    assert not e.excluded


def test_a_complete_body_without_the_tattoo_counts_against():
    e = explained(
        {"marks": "tatuaje en el brazo derecho: una rosa"},
        {"marks": "sin tatuajes visibles", "condition": "complete"},
    )
    assert weights(e)["tattoos_not_found"] < -0.5
    partial = explained(
        {"marks": "tatuaje en el brazo derecho: una rosa"},
        {"marks": "sin tatuajes visibles", "condition": "partial"},
    )
    assert weights(e)["tattoos_not_found"] < weights(partial)["tattoos_not_found"] < 0


def test_empty_fields_are_unknown_not_absent():
    e = explained({"sex": "", "age_at_disappearance": "", "stature_cm": ""}, {"age_min": ""})
    assert not e.excluded
    assert not {"sex", "age", "stature"} & set(weights(e))


def test_clothes_not_recovered_are_not_evidence_against():
    plain = explained()
    clothes = explained({"clothing": "chamarra negra, botas café"}, {"clothing": ""})
    assert clothes.score == pytest.approx(plain.score, abs=1e-3)


def test_a_tattoo_on_a_body_the_family_did_not_mention_counts_a_little_against():
    e = explained(
        {"marks": "cicatriz en la rodilla"}, {"marks": "tatuaje en región dorsal: grecas"}
    )
    assert -0.5 < weights(e)["tattoos_unreported"] < 0
    unknown = explained({"marks": ""}, {"marks": "tatuaje en región dorsal: grecas"})
    assert "tattoos_unreported" not in weights(unknown)


def test_scores_are_finite_numbers_for_kept_pairs():
    e = explained()
    assert np.isfinite(e.score)
