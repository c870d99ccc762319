import pytest
import requests
import responses

from worker.client import AtelierClient, FatalError, JobGone, RetriableError

URL = "https://atelier.test/api/models/17/status"


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


def test_token_goes_in_the_bearer_header(api):
    api.patch(URL, json={"changed": True}, match=[responses.matchers.json_params_matcher({"status": "training"})])

    assert AtelierClient("tok").patch_status(URL, status="training") == {"changed": True}

    assert api.calls[0].request.headers["Authorization"] == "Bearer tok"
    assert api.calls[0].request.url == URL


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, JobGone), (409, JobGone), (500, RetriableError), (503, RetriableError), (429, RetriableError),
     (400, FatalError), (403, FatalError), (413, FatalError)],
)
def test_statuses_map_to_typed_errors(api, status, error):
    api.get(URL, status=status, json={"error": "Something a person can read.", "code": "x"})

    with pytest.raises(error) as raised:
        AtelierClient("tok").get_status(URL)

    assert raised.value.status == status
    assert "Something a person can read." in raised.value.detail


def test_connection_error_is_retriable(api):
    api.get(URL, body=requests.ConnectionError("refused"))

    with pytest.raises(RetriableError, match="could not be reached"):
        AtelierClient("tok").get_status(URL)
