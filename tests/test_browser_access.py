"""Usable by every staff member (issue 42, JIS X 8341-3 / WCAG 2.1 AA), in a real headless Chromium
with axe-core (axe-playwright-python ships it; nothing is fetched): every screen, as the roles that
see most (管理者, 機関職員), the wall, 投影モード, the sign-in and the setup pages, has no violation of
the WCAG 2.0/2.1 A and AA rules; what the wall and 投影モード show keeps 7:1 (read from the back of a
meeting room)."""
import shutil

import pytest

from tests.conftest import SAMPLE
from tests.test_browser import browser, serve, sign_in, wait_ready, window  # noqa: F401 - fixture
from tests.test_browser_meeting import operate

AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PROJECTOR = {"runOnly": {"type": "rule", "values": ["color-contrast-enhanced"]}}       # 7:1 (AAA's contrast)

# Every screen of the 管理者; the 機関職員's own versions of the screens that differ by role:
ADMIN_SCREENS = ["/top", "/case-board", "/setai?id=H-001", "/uketsuke", "/shinchoku", "/shigen", "/outreach",
                 "/kikan", "/kaigi", "/tenken", "/settei", "/torikomi", "/kanri"]
STAFF_SCREENS = ["/top", "/case-board", "/uketsuke", "/shinchoku", "/kaigi", "/settei", "/setai?id=H-001"]
PROJECTED = ["/case-board?mode=projection", "/setai?id=H-001&mode=projection", "/shinchoku?mode=projection"]


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    folder = tmp_path_factory.mktemp("town")
    path = folder / "town.xlsx"
    shutil.copy(SAMPLE, path)
    yield from serve(path, TSUNAGU_TODAY="2026-11-24")


def violations(page, options=AA) -> list[str]:
    """axe-core's findings on the page as it is now: 「rule: where (how)」, one a node."""
    from axe_playwright_python.sync_playwright import Axe
    found = Axe().run(page, options=options).response["violations"]
    return [f"{v['id']}: {n['target'][-1][-60:]} 「{n.get('html', '')[:60]}」 ({_why(n.get('failureSummary', ''))})"
            for v in found for n in v["nodes"]]


def _why(summary: str) -> str:
    lines = [line.strip() for line in summary.splitlines() if line.strip()]
    return next((line for line in lines if "contrast of" in line), lines[-1] if lines else "")[:200]


def look(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)
    page.wait_for_timeout(800)                    # charts and frames drawn after the script's end


def test_every_screen_of_the_admin_and_the_staff_has_no_wcag_aa_violation(browser, town):  # noqa: F811
    found = {}
    context, page = window(browser)
    try:
        look(page, town)
        found["sign-in"] = violations(page)
        for user, screens in (("admin", ADMIN_SCREENS), ("houkatsu", STAFF_SCREENS)):
            context.clear_cookies()
            sign_in(page, town, user)
            for screen in screens:
                look(page, town + screen)
                found[f"{user} {screen}"] = violations(page)
        page.get_by_text("エコマップ（この世帯にかかわる機関）を表示").click()      # (the last screen: 世帯詳細)
        wait_ready(page)
        page.get_by_role("img", name="エコマップ（").wait_for()
        found["ecomap"] = violations(page)
    finally:
        context.close()
    assert not any(found.values()), "\n".join(f"{where}: {line}" for where, said in found.items() for line in said)


def test_the_wall_and_projection_keep_aa_and_seven_to_one_for_the_back_of_the_room(browser, town):  # noqa: F811
    found = {}
    operator_context, operator = window(browser)
    wall_context, wall = window(browser)
    try:
        sign_in(operator, town, "kyodo")
        operate(operator, town)
        sign_in(wall, town, "eturan")
        look(wall, town + "/kabe")
        wall.get_by_text("1 / 8").wait_for()
        found["wall"] = violations(wall) + violations(wall, PROJECTOR)
        for screen in PROJECTED:
            look(operator, town + screen)
            found[screen] = violations(operator) + violations(operator, PROJECTOR)
    finally:
        operator_context.close()
        wall_context.close()
    assert not any(found.values()), "\n".join(f"{where}: {line}" for where, said in found.items() for line in said)
