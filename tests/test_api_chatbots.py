"""Chatbot CRUD, validation, icons and workspace isolation through the HTTP API."""

from __future__ import annotations

import io
import uuid

from PIL import Image


def png_bytes(size: tuple[int, int] = (32, 32), fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


async def count_rows(runtime, table: str) -> int:
    async with runtime.db.connection() as conn:
        cur = await conn.execute(f"SELECT count(*) AS n FROM {table}")
        return (await cur.fetchone())["n"]


async def test_create_chatbot_applies_defaults_and_generates_public_key(client, ws):
    resp = await client.post("/api/v1/chatbots", json={"name": "Helper"}, headers=ws.headers)
    assert resp.status_code == 201, resp.text
    bot = resp.json()
    assert bot["name"] == "Helper"
    assert bot["status"] == "draft"
    assert [f["name"] for f in bot["lead_fields"]] == ["name", "email"]
    assert bot["lead_fields"][1] == {
        "name": "email",
        "label": "Email",
        "required": True,
        "type": "email",
    }
    assert bot["public_key"].startswith("pk_") and len(bot["public_key"]) > 20
    assert bot["ui"] == {
        "primary_color": "#2563eb",
        "position": "bottom-right",
        "launcher_text": "Chat with us",
    }
    uuid.UUID(bot["id"])


async def test_chatbot_read_update_list_delete_round_trip(client, ws):
    created = (
        await client.post(
            "/api/v1/chatbots",
            json={
                "name": "Sales bot",
                "greeting": "Hello!",
                "suggested_questions": ["Where is pricing?"],
                "ui": {
                    "primary_color": "#FF8800",
                    "position": "bottom-left",
                    "launcher_text": "Ask",
                },
                "allowed_origins": ["https://Shop.Example.com/", "http://localhost:3000"],
                "lead_fields": ["name", {"name": "email", "label": "Work email"}, "company"],
            },
            headers=ws.headers,
        )
    ).json()
    bot_id = created["id"]
    assert created["allowed_origins"] == ["https://shop.example.com", "http://localhost:3000"]
    assert created["ui"]["primary_color"] == "#ff8800"
    assert created["lead_fields"][1]["label"] == "Work email"

    got = await client.get(f"/api/v1/chatbots/{bot_id}", headers=ws.headers)
    assert got.status_code == 200 and got.json()["greeting"] == "Hello!"

    patched = await client.patch(
        f"/api/v1/chatbots/{bot_id}",
        json={"status": "published", "greeting": "Hi there"},
        headers=ws.headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "published"
    assert patched.json()["greeting"] == "Hi there"
    assert patched.json()["name"] == "Sales bot"  # untouched fields keep their values

    listing = (await client.get("/api/v1/chatbots?limit=100", headers=ws.headers)).json()
    assert bot_id in [b["id"] for b in listing["items"]]
    assert listing["total"] >= 1 and listing["limit"] == 100 and listing["offset"] == 0

    assert (
        await client.delete(f"/api/v1/chatbots/{bot_id}", headers=ws.headers)
    ).status_code == 204
    assert (await client.get(f"/api/v1/chatbots/{bot_id}", headers=ws.headers)).status_code == 404


async def test_chatbot_list_paginates(client, runtime):
    from tests.conftest import make_workspace

    own = await make_workspace(runtime, "Paging")
    for i in range(5):
        await client.post("/api/v1/chatbots", json={"name": f"bot {i}"}, headers=own.headers)
    first = (await client.get("/api/v1/chatbots?limit=2", headers=own.headers)).json()
    second = (await client.get("/api/v1/chatbots?limit=2&offset=2", headers=own.headers)).json()
    assert first["total"] == 5 and len(first["items"]) == 2 and len(second["items"]) == 2
    assert {b["id"] for b in first["items"]}.isdisjoint({b["id"] for b in second["items"]})
    bad = await client.get("/api/v1/chatbots?limit=1000", headers=own.headers)
    assert bad.status_code in (400, 422) and bad.json()["code"]


async def test_requests_without_a_valid_key_are_refused(client):
    missing = await client.get("/api/v1/chatbots")
    assert missing.status_code == 401
    assert missing.json()["code"] == "unauthorized" and "Bearer" in missing.json()["message"]
    wrong = await client.get(
        "/api/v1/chatbots", headers={"Authorization": "Bearer sp_000000000000_nope"}
    )
    assert wrong.status_code == 401


async def test_bad_chatbot_bodies_get_clear_errors_and_write_nothing(client, ws, runtime):
    before = await count_rows(runtime, "chatbots")
    cases = [
        ({"greeting": "no name"}, "name"),
        ({"name": "x", "colour": "red"}, "colour"),
        ({"name": "x", "ui": {"primary_color": "blue"}}, "primary_color"),
        ({"name": "x", "allowed_origins": ["not a url"]}, "allowed_origins"),
        ({"name": "x", "allowed_origins": ["https://a.example/path"]}, "allowed_origins"),
        ({"name": "x", "lead_fields": ["name"]}, "lead_fields"),
        ({"name": "x", "lead_fields": ["email", "email"]}, "lead_fields"),
        ({"name": "x", "status": "live"}, "status"),
        ({"name": 42}, "name"),
    ]
    for body, field in cases:
        resp = await client.post("/api/v1/chatbots", json=body, headers=ws.headers)
        assert resp.status_code == 422, (body, resp.text)
        err = resp.json()
        assert set(err) == {"code", "message", "details"}
        assert err["code"] == "validation_error"
        assert field in err["message"], (field, err["message"])
    malformed = await client.post(
        "/api/v1/chatbots",
        content=b'{"name": "x",',
        headers={**ws.headers, "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400, malformed.text
    assert malformed.json()["code"] == "invalid_json"
    assert await count_rows(runtime, "chatbots") == before


async def test_patch_refuses_null_and_unknown_fields(client, ws):
    bot = (await client.post("/api/v1/chatbots", json={"name": "p"}, headers=ws.headers)).json()
    resp = await client.patch(
        f"/api/v1/chatbots/{bot['id']}", json={"name": None}, headers=ws.headers
    )
    assert resp.status_code == 422 and "name" in resp.json()["message"]
    resp = await client.patch(
        f"/api/v1/chatbots/{bot['id']}", json={"nmae": "typo"}, headers=ws.headers
    )
    assert resp.status_code == 422 and "nmae" in resp.json()["message"]
    assert (await client.get(f"/api/v1/chatbots/{bot['id']}", headers=ws.headers)).json()[
        "name"
    ] == "p"


async def test_other_workspaces_chatbots_answer_404_everywhere(client, ws, other_ws):
    bot = (await client.post("/api/v1/chatbots", json={"name": "mine"}, headers=ws.headers)).json()
    path = f"/api/v1/chatbots/{bot['id']}"
    h = other_ws.headers
    assert (await client.get(path, headers=h)).status_code == 404
    assert (await client.patch(path, json={"name": "stolen"}, headers=h)).status_code == 404
    assert (await client.delete(path, headers=h)).status_code == 404
    assert (await client.get(path + "/buckets", headers=h)).status_code == 404
    assert (await client.put(path + "/buckets", json={}, headers=h)).status_code == 404
    files = {"file": ("i.png", png_bytes(), "image/png")}
    assert (await client.put(path + "/icon", files=files, headers=h)).status_code == 404
    assert bot["id"] not in [
        b["id"] for b in (await client.get("/api/v1/chatbots", headers=h)).json()["items"]
    ]
    assert (await client.get(path, headers=ws.headers)).json()["name"] == "mine"
    assert (await client.get("/api/v1/chatbots/not-a-uuid", headers=ws.headers)).status_code == 404


async def test_icon_upload_is_served_back_publicly(client, ws):
    bot = (
        await client.post("/api/v1/chatbots", json={"name": "iconic"}, headers=ws.headers)
    ).json()
    data = png_bytes()
    resp = await client.put(
        f"/api/v1/chatbots/{bot['id']}/icon",
        files={"file": ("logo.png", data, "image/png")},
        headers=ws.headers,
    )
    assert resp.status_code == 200, resp.text
    url = resp.json()["icon_url"]
    assert url.startswith("http://testserver.local/public/icons/") and url.endswith(".png")
    served = await client.get(url.removeprefix("http://testserver.local"))
    assert served.status_code == 200
    assert served.content == data and served.headers["content-type"].startswith("image/png")

    webp = png_bytes(fmt="WEBP")
    resp = await client.put(
        f"/api/v1/chatbots/{bot['id']}/icon",
        files={"file": ("logo.webp", webp, "image/webp")},
        headers=ws.headers,
    )
    assert resp.json()["icon_url"].endswith(".webp")
    # the replaced icon is gone
    assert (await client.get(url.removeprefix("http://testserver.local"))).status_code == 404


async def test_bad_icons_are_refused_and_keep_the_old_one(client, ws):
    bot = (await client.post("/api/v1/chatbots", json={"name": "picky"}, headers=ws.headers)).json()
    path = f"/api/v1/chatbots/{bot['id']}/icon"
    ok = await client.put(
        path, files={"file": ("a.png", png_bytes(), "image/png")}, headers=ws.headers
    )
    icon = ok.json()["icon_url"]
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    cases = [
        (("x.svg", svg, "image/svg+xml"), 415, "SVG"),
        (("x.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "image/png"), 415, "readable"),
        (("x.gif", png_bytes(fmt="GIF"), "image/gif"), 415, "GIF"),
        (("x.png", b"", "image/png"), 422, "empty"),
        (("big.png", b"\x89PNG" + b"\x00" * (1024 * 1024 + 1), "image/png"), 413, "limit"),
    ]
    for file, status, words in cases:
        resp = await client.put(path, files={"file": file}, headers=ws.headers)
        assert resp.status_code == status, (file[0], resp.text)
        assert words in resp.json()["message"], resp.json()
    assert (await client.get(f"/api/v1/chatbots/{bot['id']}", headers=ws.headers)).json()[
        "icon_url"
    ] == icon
    assert (await client.put(path, content=b"raw", headers=ws.headers)).status_code == 422


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    schema = await client.get("/schema/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/chatbots" in paths and "/api/v1/sources/upload" in paths


async def test_unknown_route_uses_the_error_shape(client):
    resp = await client.get("/api/v1/nope")
    assert resp.status_code == 404
    assert resp.json() == {"code": "not_found", "message": "not found", "details": None}
