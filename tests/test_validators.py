"""Semantic-type validators of the evaluation's Realism section (Spark-free)."""

from __future__ import annotations

import math

import pytest

from spark_synth.model.validators import VALIDATORS, detect_type, iban, luhn, pass_rate


@pytest.mark.parametrize(
    "name, good, bad",
    [
        ("email", ["rcconte@example.com", "fan_gadbois@mail.example.co.uk"], ["eaxah@", "a b@example.com", "x@y"]),
        ("phone_nanp", ["240-783-7630", "(615) 699-3517", "+1 512 698 8283"], ["040-783-7630", "211-555-0100", "1234"]),
        ("phone", ["0490 73 65 40", "+44 20 7946 0958"], ["12-34", "call me"]),
        (
            "uuid",
            ["123e4567-e89b-12d3-a456-426614174000"],
            ["123e4567e89b12d3a456426614174000", "g23e4567-e89b-12d3-a456-426614174000"],
        ),
        ("ipv4", ["10.0.0.1", "192.168.255.254"], ["256.1.1.1", "10.0.0"]),
        ("ipv6", ["2001:db8::1", "::1"], ["2001:db8::g", "10.0.0.1"]),
        ("card_number", ["4111 1111 1111 1111", "5500-0000-0000-0004"], ["4111 1111 1111 1112", "1234"]),
        ("iban", ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"], ["GB82 WEST 1234 5698 7654 33", "GB82"]),
        ("url", ["https://example.com/a?b=1", "http://x.example.org:8080"], ["example.com", "https://nodot"]),
        ("domain", ["example.com", "mail.example.co.uk"], ["example", "-bad.com"]),
    ],
)
def test_each_validator_accepts_real_values_and_refuses_broken_ones(name, good, bad):
    check = VALIDATORS[name]
    assert all(check(v) for v in good), name
    assert not any(check(v) for v in bad), name


def test_check_digits():
    assert luhn("79927398713") is False  # too short for a card
    assert luhn("4012888888881881") and not luhn("4012888888881882")
    assert iban("NL91ABNA0417164300") and not iban("NL91ABNA0417164301")


def test_a_type_is_detected_only_when_most_real_values_pass():
    emails = [f"user{i}@example.com" for i in range(95)] + [f"broken{i}" for i in range(5)]
    assert detect_type(emails) == "email"
    assert detect_type(emails[:50] + [f"broken{i}" for i in range(50)]) is None
    assert detect_type(["Paris", "Berlin"]) is None and detect_type([]) is None
    # the most specific type wins: NANP numbers are phones too
    assert detect_type(["240-783-7630", "615-699-3517"]) == "phone_nanp"
    assert pass_rate(["a@b.co", "nope"], VALIDATORS["email"]) == 0.5 and math.isnan(pass_rate([], VALIDATORS["email"]))
