import pytest

from safe4c.hashlist.matching import SIGNAL_TYPES, InvalidSignal, PdqSignal, get_signal_type, normalise_signal
from safe4c.kernel.signals import Md5Signal, SignalType, build_registry


def test_registry_holds_the_stable_storage_names():
    assert set(SIGNAL_TYPES) == {"pdq", "md5", "sha1", "sha256", "url"}
    for name, signal_type in SIGNAL_TYPES.items():
        assert signal_type.name == name
        assert get_signal_type(name) is signal_type


def test_registry_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        SIGNAL_TYPES["md5"] = PdqSignal()  # type: ignore[index]


def test_registry_refuses_two_types_with_one_name():
    class OtherMd5(SignalType):
        name = "md5"

    with pytest.raises(ValueError, match="'md5' is used by both Md5Signal and OtherMd5"):
        build_registry([Md5Signal(), OtherMd5()])


def test_registry_refuses_a_type_without_a_lower_case_name():
    class Shouting(SignalType):
        name = "MD5"

    with pytest.raises(ValueError, match="lower-case name"):
        build_registry([Shouting()])


def test_unknown_type_is_a_typed_error():
    with pytest.raises(InvalidSignal) as caught:
        get_signal_type("tmk")
    assert caught.value.code == "unknown_type"
    assert "pdq" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("md5", " D41D8CD98F00B204E9800998ECF8427E\n", "d41d8cd98f00b204e9800998ecf8427e"),
        ("sha1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("pdq", "F" * 64, "f" * 64),
    ],
)
def test_hex_values_are_trimmed_and_lower_cased(name, value, expected):
    assert normalise_signal(name, value) == expected


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("md5", "", "empty"),
        ("md5", "   ", "empty"),
        ("md5", "g" * 32, "bad_hex"),
        ("md5", "0x" + "0" * 30, "bad_hex"),
        ("md5", "a" * 31, "wrong_length"),
        ("sha1", "a" * 64, "wrong_length"),
        ("sha256", "a" * 40, "wrong_length"),
        ("pdq", "a" * 63, "wrong_length"),
        ("pdq", "ab cd" + "0" * 59, "bad_hex"),
    ],
)
def test_bad_hex_values_raise_typed_errors(name, value, code):
    with pytest.raises(InvalidSignal) as caught:
        normalise_signal(name, value)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)
    assert value.strip() == "" or value not in str(caught.value)  # never echo the value


def test_pdq_distance_counts_differing_bits():
    pdq = get_signal_type("pdq")
    assert isinstance(pdq, PdqSignal)
    zero = "0" * 64
    assert pdq.distance(zero, zero) == 0
    assert pdq.distance(zero, "f" * 64) == 256
    assert pdq.distance(zero, "0" * 56 + "7fffffff") == 31
    assert pdq.matches(zero, "0" * 56 + "7fffffff")
    assert not pdq.matches(zero, "0" * 56 + "ffffffff")
    assert pdq.match_distance == 31 and pdq.min_quality == 50
