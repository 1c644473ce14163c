"""Civil-service content: the shipped files load and cross-check; malformed ones name the
file, the entry and the field."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from suwon_fleet.concierge.content import Content, load_content
from suwon_fleet.core.errors import ConfigError


@pytest.fixture
def config_copy(tmp_path: Path, repo_root: Path) -> Path:
    """A writable copy of config/ (content and sites) to break."""
    shutil.copytree(repo_root / "config", tmp_path / "config")
    return tmp_path / "config"


def edit(path: Path, change: Callable[[dict], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_shipped_content_loads_and_is_consistent(content: Content) -> None:
    assert len(content.services) >= 30
    for required in ("passport_issue", "resident_copy", "resident_abstract", "family_relation",
                     "seal_cert", "signature_cert", "move_in", "basic_pension",
                     "local_tax_payment", "building_register", "land_register"):
        assert required in content.services
    places = content.site.places
    for sid, service in content.services.items():
        assert service.counter is None or service.counter in places, sid
        assert service.department in content.departments, sid
        assert service.documents, sid
    assert content.services["passport_issue"].counter == "saebit_counter_1"
    assert content.services["resident_copy"].kiosk is True
    assert content.services["passport_issue"].kiosk is False
    assert all(d.phone.startswith("031-228-") for d in content.departments.values())
    assert any(person.veteran for person in content.staff.values())
    assert content.facilities["restroom"].guide_to in places


def test_fee_wording(content: Content) -> None:
    copy = content.services["resident_copy"].fee
    assert copy.text_ko() == "400원 (무인민원발급기 200원)"
    assert copy.text_en() == "₩400 (₩200 at the kiosk)"
    assert content.services["move_in"].fee.text_ko() == "무료"
    varies = content.services["car_new_registration"].fee
    assert varies.krw is None and "취득세" in varies.text_ko()


def test_hours_follow_the_clock(content: Content) -> None:
    passport = content.hours["passport"]
    thursday_evening = datetime(2025, 3, 6, 19, 30)
    tuesday_evening = datetime(2025, 3, 4, 19, 30)
    assert passport.is_open(thursday_evening)
    assert not passport.is_open(tuesday_evening)
    assert not content.hours["civil_hall"].is_open(datetime(2025, 3, 8, 10, 0))  # Saturday
    assert content.place_hours("document_kiosk") is content.hours["kiosk"]
    assert content.staff_for("passport_issue")[0] == "kim_youngsook"


@pytest.mark.parametrize(("filename", "change", "where"), [
    ("civil_services.yaml",
     lambda d: d["services"]["passport_issue"].update(counter="saebit_counter_9"),
     "services.passport_issue.counter: unknown place 'saebit_counter_9'"),
    ("civil_services.yaml",
     lambda d: d["services"]["resident_copy"]["fee"].update(krw=-400),
     "services.resident_copy.fee.krw"),
    ("civil_services.yaml",
     lambda d: d["services"]["seal_cert"].pop("documents"),
     "services.seal_cert.documents"),
    ("civil_services.yaml",
     lambda d: d["services"]["move_in"].update(department="moving_dept"),
     "services.move_in.department: unknown department 'moving_dept'"),
    ("civil_services.yaml",
     lambda d: d["services"]["basic_pension"].pop("where_ko"),
     "services.basic_pension.where_ko"),
    ("civil_services.yaml",
     lambda d: d["services"].update(Bad_Id=d["services"]["move_in"]),
     "services.Bad_Id: ids are lower_snake_case"),
    ("civil_services.yaml",
     lambda d: d["services"]["move_in"].update(kiosk="sometimes"),
     "services.move_in.kiosk"),
    ("directory.yaml",
     lambda d: d["departments"]["tax"].update(phone="228-2210"),
     "departments.tax.phone"),
    ("directory.yaml",
     lambda d: d["departments"]["tax"].update(place="tax_office"),
     "departments.tax.place: unknown place 'tax_office'"),
    ("directory.yaml",
     lambda d: d["staff"]["kim_youngsook"]["services"].append("visa"),
     "staff.kim_youngsook.services.2: unknown service 'visa'"),
    ("directory.yaml",
     lambda d: d["staff"]["park_jeongho"].update(languages=["korean"]),
     "staff.park_jeongho.languages.0"),
    ("faq.yaml",
     lambda d: d["hours"]["civil_hall"]["periods"][0].update(open=540),  # unquoted 09:00
     "hours.civil_hall.periods.0.open"),
    ("faq.yaml",
     lambda d: d["facilities"]["restroom"].update(guide_to="restroom_roof"),
     "facilities.restroom.guide_to: unknown place 'restroom_roof'"),
    ("faq.yaml",
     lambda d: d.update(default_hours="always"),
     "default_hours: unknown schedule 'always'"),
])
def test_malformed_content_names_file_entry_and_field(config_copy: Path, filename: str,
                                                      change: Callable[[dict], None],
                                                      where: str) -> None:
    path = config_copy / "content" / filename
    edit(path, change)
    with pytest.raises(ConfigError) as err:
        load_content(config_copy)
    message = str(err.value)
    assert message.startswith(f"{path}: "), message
    assert where in message, message


def test_invalid_yaml_and_missing_file(config_copy: Path) -> None:
    path = config_copy / "content" / "directory.yaml"
    path.write_text("departments: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"directory\.yaml: not valid YAML"):
        load_content(config_copy)
    path.unlink()
    with pytest.raises(ConfigError, match=r"directory\.yaml: file not found"):
        load_content(config_copy)


def test_place_must_exist_in_the_site_file(config_copy: Path) -> None:
    """Removing a counter from the site breaks the content that points to it, at load."""
    edit(config_copy / "sites" / "city_hall.yaml",
         lambda d: d["places"].pop("saebit_counter_4"))
    with pytest.raises(ConfigError, match=r"civil_services\.yaml: services\.\w+\.counter: "
                                          r"unknown place 'saebit_counter_4'"):
        load_content(config_copy)
