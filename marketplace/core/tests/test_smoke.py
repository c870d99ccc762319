def test_health_ok(client, db):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["database"] == "connected"
