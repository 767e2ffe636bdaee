"""The city definition: Harbin's 18 units as ../shared/DATA.md gives them, and clear errors for bad ones."""

from __future__ import annotations

import json
import math

import pytest

from dashboard.regions import CityError, bounds, load_boundaries, load_city, map_view


def test_harbin_units_match_the_data_contract(city):
    frame = city.units_frame()
    assert len(frame) == 18
    assert frame["population"].sum() == 10_635_971
    assert frame.groupby("group").size().to_dict() == {"core": 6, "outer": 3, "county": 9}
    assert city.unit("230113").name_en == "Shuangcheng"
    assert city.unit("230184").kind == "county_city"
    assert city.unit("999999") is None


def test_boundaries_carry_every_unit(city):
    geojson = load_boundaries(city)
    assert {f["properties"]["code"] for f in geojson["features"]} == set(city.codes)


def test_a_city_whose_boundaries_lack_a_unit_is_refused(tmp_path, city):
    geojson = load_boundaries(city)
    geojson["features"] = geojson["features"][1:]
    (tmp_path / "b.geojson").write_text(json.dumps(geojson))
    raw = json.loads(open(city.boundaries_path.parent.parent.parent / "dashboard/cities/harbin.json").read())
    raw["boundaries"] = str(tmp_path / "b.geojson")
    (tmp_path / "c.json").write_text(json.dumps(raw))
    with pytest.raises(CityError, match="lacks"):
        load_boundaries(load_city(str(tmp_path / "c.json")))


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: raw["units"][0].update(group="suburb"),
        lambda raw: raw["units"][1].update(code=raw["units"][0]["code"]),
        lambda raw: raw["units"][2].pop("population"),
    ],
)
def test_malformed_city_is_refused(tmp_path, change):
    from dashboard.regions import city_file

    raw = json.loads(city_file("harbin").read_text(encoding="utf-8"))
    change(raw)
    (tmp_path / "c.json").write_text(json.dumps(raw))
    with pytest.raises(CityError):
        load_city(str(tmp_path / "c.json"))


def test_map_view_fits_the_city(city):
    box = bounds(load_boundaries(city))
    width, height = 600, 540
    view = map_view(box, width, height)
    scale = 512 * 2 ** view["zoom"]

    def pixel(lon, lat):
        x = (lon + 180) / 360 * scale
        y = (1 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2 * scale
        return x, y

    cx, cy = pixel(view["center"]["lon"], view["center"]["lat"])
    for lon, lat in [(box[0], box[1]), (box[2], box[3])]:
        x, y = pixel(lon, lat)
        assert abs(x - cx) <= width / 2 and abs(y - cy) <= height / 2
    # and it is not needlessly small: one more zoom level would not fit
    assert map_view(box, width * 2, height * 2)["zoom"] == pytest.approx(view["zoom"] + 1, abs=0.02)
