"""Vietnamese text rules: NFC, name matching with tone-placement folding, ASCII slugs, search folding."""

import unicodedata

from newsgen.text import is_slug, name_key, nfc, search_d_words, search_fold, slugify


def test_names_typed_in_nfd_and_nfc_match():
    assert name_key(unicodedata.normalize("NFD", "Tô Lâm")) == name_key("Tô Lâm")


def test_case_and_spacing_do_not_matter():
    assert name_key("  tô   LÂM ") == name_key("Tô Lâm")


def test_old_and_new_tone_placement_match():
    assert name_key("Khóa 79") == name_key("khoá 79")
    assert name_key("Cộng hòa") == name_key("Cộng hoà")
    assert name_key("Thủy") == name_key("Thuỷ")


def test_different_tones_and_letters_stay_apart():
    assert name_key("Tô Lâm") != name_key("To Lam")
    assert name_key("hòa") != name_key("hóa")
    assert name_key("Đà") != name_key("Da")


def test_slugs_are_ascii_with_d_for_đ():
    assert slugify("Đại hội đồng Liên hợp quốc Khóa 79") == "dai-hoi-dong-lien-hop-quoc-khoa-79"
    assert slugify("Miguel Díaz-Canel Bermúdez") == "miguel-diaz-canel-bermudez"
    assert slugify("Tọa đàm: ư, ơ, ă!") == "toa-dam-u-o-a"


def test_only_clean_segments_are_slugs():
    assert is_slug("to-lam-2024")
    for bad in ("../etc", "a/b", "Tô-Lâm", "-a", "a--b", "", "A"):
        assert not is_slug(bad)


def test_nfc_composes():
    assert nfc(unicodedata.normalize("NFD", "Việt")) == "Việt"


def test_the_search_fold_drops_every_mark_and_makes_đ_a_d():
    assert search_fold("Đại hội đồng") == search_fold("dai hoi dong") == "dai hoi dong"
    assert search_fold("ĐẠI HỘI ĐỒNG") == "dai hoi dong"
    assert search_fold("khóa") == search_fold("khoá") == "khoa"
    assert search_fold(unicodedata.normalize("NFD", "Tô Lâm")) == search_fold("Tô Lâm") == "to lam"
    assert search_fold("Miguel Díaz-Canel Bermúdez") == "miguel diaz-canel bermudez"


def test_the_search_fold_keeps_what_is_not_a_mark():
    assert search_fold("Ngày 22/9, 10:00 – “79”") == "ngay 22/9, 10:00 – “79”"
    assert search_fold("Øresund Straße") == "øresund straße"  # letters of their own, as in the browser


def test_search_d_words_are_the_folded_words_written_with_đ_once_each():
    assert search_d_words("Đoàn đại biểu Quốc hội đã đến Đà Nẵng; đoàn ĐẠI biểu") == "doan dai da den"
    assert search_d_words("Tô Lâm thăm Cuba") == ""
    assert search_d_words(unicodedata.normalize("NFD", "Đại sứ")) == "dai"


def test_a_contained_path_stays_below_the_folder_it_is_joined_to():
    from newsgen.text import is_contained
    assert is_contained("a/b/index.html") and is_contained("feed.xml")
    assert not any(is_contained(p) for p in ["", "/etc/passwd", "../x", "a/../../b", "a\\..\\b", "a//b", "./a"])


def test_vietnamese_collation_orders_letters_as_the_alphabet_and_tones_after():
    from newsgen.text import collation_key
    # a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y; tones: none, huyền, hỏi, ngã, sắc, nặng
    expected = ["An", "Anh", "Ánh", "Ăn", "Ẩn", "Ấn", "Âu", "Bình", "Cúc", "Dũng", "Duy", "Dương", "Đào", "Đạo",
                "Đặng", "Đức", "Em", "Ê", "Giang", "Hòa", "Hoàng", "Hồ", "Hùng", "Hưng", "Lam", "Lăm", "Lâm", "Lầm",
                "Lẩm", "Lẫm", "Lấm", "Lậm", "Ly", "Oanh", "Ôn", "Ổn", "Ơn", "Ớt", "Tùng", "Uyên", "Ưng", "Ước", "Vũ", "Xuân"]
    shuffled = expected[1::2] + expected[::2]
    assert sorted(shuffled, key=collation_key) == expected
    nfd = unicodedata.normalize("NFD", "Đặng")
    assert collation_key(nfd) == collation_key("Đặng")
    assert collation_key("lâm") < collation_key("Lâm") < collation_key("Lầm")  # case only breaks ties


def test_a_person_is_sorted_by_sort_name_else_given_name_and_filed_under_its_letter():
    from newsgen.text import initial_letter, sort_text
    assert sort_text("Nguyễn Phú Trọng") == "Trọng"
    assert sort_text("Miguel Díaz-Canel Bermúdez", "Díaz-Canel Bermúdez, Miguel") == "Díaz-Canel Bermúdez, Miguel"
    assert [initial_letter(t) for t in ["Đức", "đức", "Dũng", "Ấn", "ăn", "ơn", "Ước", "Ánh", "Émile", "Ñoño", "42"]] == \
        ["Đ", "Đ", "D", "Â", "Ă", "Ơ", "Ư", "A", "E", "N", "#"]
