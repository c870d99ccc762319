"""A person who submits the generate form too often is told when to try again, and keeps what they typed."""

import re

from playwright.sync_api import Page, expect

from e2e.test_generate_price import buyer_on_the_form
from marketplace.core.testing.ratelimit import tighten
from marketplace.generations.models import Generation


def test_past_the_generate_limit_the_notice_says_when_and_the_form_stays(site: str, page: Page, settings):
    tighten(settings, generate="1/m")  # the live server runs in this process: it reads the same settings
    page.clock.install()  # time flows as usual; the end of the wait is fast-forwarded to
    buyer_on_the_form(site, page, price=4, balance=20)
    page.get_by_label("Prompt tags").fill("lighthouse, dusk")
    page.get_by_role("button", name="Generate").click()
    expect(page.locator(".job-card")).to_have_count(1)
    expect(page.get_by_test_id("token-balance")).to_have_text("16")

    page.get_by_label("Prompt tags").fill("harbour at night, fog")
    page.get_by_label(re.compile("1:2 portrait")).check()
    page.get_by_role("button", name="Generate").click()

    notice = page.locator("#rate-limit-notice").get_by_test_id("rate-limited")
    expect(notice).to_have_text(re.compile(r"^You are doing that too often\. Try again in (\d+ seconds?|1 minute)\.$"))
    wait = re.search(r"in (\d+) (second|minute)", notice.inner_text())
    expect(notice).to_be_in_viewport()
    # Nothing the person typed or chose is lost, nothing was charged, and no second job started.
    expect(page.get_by_label("Prompt tags")).to_have_value("harbour at night, fog")
    expect(page.get_by_label(re.compile("1:2 portrait"))).to_be_checked()
    expect(page.get_by_role("button", name="Generate")).to_be_enabled()
    expect(page.locator(".job-card")).to_have_count(1)
    expect(page.get_by_test_id("token-balance")).to_have_text("16")
    assert Generation.objects.count() == 1

    # Once the wait is over the notice goes away by itself: nothing tells the person to wait any more.
    page.clock.fast_forward((int(wait[1]) * (60 if wait[2] == "minute" else 1) + 1) * 1000)
    expect(notice).to_have_count(0)
