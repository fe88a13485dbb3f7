"""Browser test: the applicant page and the auditor dashboard in headless Chromium, driven through
WebDriver (selenium, the system chromedriver), against the real `idca` binary on a fresh demo CA.

usage: python3 Tests/Browser/browser_test.py --idca PATH_TO_IDCA [--artifacts DIR]

An applicant gets a token, is told in plain words why forged identities fail (bad check character,
wrong name), and an organization applies; an auditor signs in, sees charts and downloads a CSV that
equals the statistics API's. A screenshot of every page goes to DIR (default
var/test-artifacts/browser). Without a working Chromium the test fails loudly: it never skips.
Ends with `browser: N passed, M failed`.
"""
import argparse, base64, json, os, shutil, subprocess, sys, tempfile, time, urllib.error, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Support"))
from serving import Tally, announced_port  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WAIT = 15  # seconds any one thing on a page may take
tally = Tally()
check = tally.check


def fatal(message):
    print("\n" + "=" * 72 + "\nBROWSER TEST CANNOT RUN: " + message + "\n" + "=" * 72, flush=True)
    print("browser: 0 passed, 1 failed")
    sys.exit(1)


def start_browser(downloads):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        fatal("the Python package selenium is missing (make deps installs it).")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
    if not chromium or not driver:
        fatal(f"chromium ({chromium}) or chromedriver ({driver}) is not installed (make deps installs the Debian packages "
              "chromium and chromium-driver).")
    # Never let selenium-manager look for a browser or driver of its own on the network.
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000",
                     "--lang=zh-CN", "--no-first-run", "--disable-extensions", "--disable-background-networking"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option("prefs", {"download.default_directory": downloads, "download.prompt_for_download": False,
                                              "safebrowsing.enabled": False})
    try:
        browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    except Exception as error:  # noqa: BLE001 - any failure here means no browser
        fatal(f"Chromium did not start through {driver}: {error}")
    browser.set_page_load_timeout(30)
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    return browser


class Server:
    def __init__(self, idca, directory):
        self.idca, self.directory = idca, directory

    def command(self, *arguments):
        result = subprocess.run([self.idca, *arguments], cwd=self.directory, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"idca {' '.join(arguments)} failed: {result.stderr}")
        return result

    def start(self):
        self.log = open(os.path.join(self.directory, "serve.log"), "w+")
        self.process = subprocess.Popen([self.idca, "serve", "--host", "127.0.0.1", "--port", "0"], cwd=self.directory,
                                        stderr=self.log, stdout=self.log)
        self.port = announced_port(self.log, self.process, 30)
        if self.port is None:
            self.process.kill()
            self.process.wait()
            raise RuntimeError("the server did not start:\n" + open(self.log.name).read())
        self.base = f"http://127.0.0.1:{self.port}"

    def call(self, method, path, body=None, api_key=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if api_key:
            request.add_header("Authorization", f"Bearer {api_key}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def stop(self):
        self.process.terminate()
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


class Pages:
    """The browser, with waits that always end."""

    def __init__(self, browser, server, artifacts):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
        self.browser, self.server, self.artifacts, self.By, self.Wait = browser, server, artifacts, By, WebDriverWait

    def open(self, path):
        self.browser.get(self.server.base + path)

    def find(self, css):
        return self.browser.find_element(self.By.CSS_SELECTOR, css)

    def all(self, css):
        return self.browser.find_elements(self.By.CSS_SELECTOR, css)

    def wait_for(self, css, what, timeout=WAIT):
        try:
            return self.Wait(self.browser, timeout).until(lambda b: next((e for e in b.find_elements(self.By.CSS_SELECTOR, css) if e.is_displayed()), False))
        except Exception:  # noqa: BLE001 - a timeout is a failed check, with a screenshot
            self.shot("timeout-" + what.replace(" ", "-"), whole=False)
            text = self.browser.execute_script("return document.body ? document.body.innerText.slice(0, 300) : ''")
            check(False, f"{what}: nothing matched {css} within {timeout} s at {self.browser.current_url}: {text!r}")
            return None

    def wait_until(self, condition, what, timeout=WAIT):
        try:
            return self.Wait(self.browser, timeout).until(lambda b: condition())
        except Exception:  # noqa: BLE001
            check(False, f"{what}: not true within {timeout} s")
            return None

    def type(self, css, text):
        element = self.find(css)
        element.clear()
        element.send_keys(text)
        return element

    def shot(self, name, whole=True):
        """A screenshot in the artifacts folder: the whole page, or only what the window shows.
        The whole page is captured through DevTools beyond the viewport: stretching the window
        instead leaves headless Chromium painting nothing after it shrinks again."""
        path = os.path.join(self.artifacts, name + ".png")
        if not whole:
            self.browser.save_screenshot(path)
            return path
        size = self.browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        shot = self.browser.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 12000), "scale": 1}})
        with open(path, "wb") as file:
            file.write(base64.b64decode(shot["data"]))
        return path

    def policy_violations(self):
        return [entry["message"] for entry in self.browser.get_log("browser")
                if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]]


def applicant_scenarios(pages, samples, demo):
    By = pages.By
    sample = lambda name: json.load(open(os.path.join(samples, name)))  # noqa: E731

    # 1. A valid identity gets a token, its countdown and a copy button (Chinese, the default).
    valid = sample("individual-valid.json")
    pages.open("/")
    check(pages.browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hans", "the page is Chinese by default")
    pages.shot("applicant-empty")
    pages.type("#individual-name", valid["name"])
    pages.type("#individual-resident-id", valid["resident_id"])
    pages.find("#form-individual button[type=submit]").click()
    panel = pages.wait_for("#result .panel.approved", "a valid individual is approved")
    if panel:
        token = pages.find("#token").get_attribute("value")
        check(token.count(".") == 2 and len(token) > 100, f"the token is a compact JWS: {token[:40]}")
        pages.wait_until(lambda: ":" in pages.find("#result .countdown").text, "the expiry countdown runs")
        check(pages.find("#result .countdown").text.startswith(("59:", "1:00:", "60:")), f"about an hour left: {pages.find('#result .countdown').text}")
        check("令牌只能使用一次" in pages.find("#result .explain").text, "what to do with the token is explained")
        pages.find("#result .copy").click()
        pages.wait_until(lambda: pages.find("#result .copied").text != "", "the copy button answers")
        check(pages.find("#result .copied").text in ("已复制", "无法自动复制，请手动选择复制。"), f"copy status: {pages.find('#result .copied').text}")
        pages.shot("applicant-approved")
        status, body = pages.server.call("POST", "/v1/tokens/verify", {"token": token}, demo["api_key"])
        check(status == 200 and json.loads(body)["active"] is True, f"the page's token verifies at the API: {body[:200]}")

    # 1b. Someone with a phone on file: the code step. A wrong code is explained with the attempts
    # left; the code from the development outbox approves at the higher assurance.
    with_phone = sample("individual-with-phone.json")
    pages.open("/")
    pages.type("#individual-name", with_phone["name"])
    pages.type("#individual-resident-id", with_phone["resident_id"])
    pages.find("#form-individual button[type=submit]").click()
    if pages.wait_for("#result .panel.pending", "an applicant with a phone on file is asked for the code"):
        destination = pages.find("#result .destination").text
        check(destination.startswith("*") and destination[-4:].isdigit(), f"the phone is shown masked: {destination!r}")
        check("5" in pages.find("#possession-attempts").text, f"five attempts: {pages.find('#possession-attempts').text}")
        pages.shot("applicant-possession")
        outbox = os.path.join(pages.server.directory, "var", "outbox", "sms.log")
        line = open(outbox, encoding="utf-8").read().strip().splitlines()[-1]
        code = dict(part.split("=", 1) for part in line.split()[1:])["code"]
        wrong = "000000" if code != "000000" else "111111"
        pages.type("#possession-code", wrong)
        pages.find("#result form.possession button[type=submit]").click()
        # Read through the page's script: the panel is drawn anew, and an element found before is stale.
        attempts = "return (document.getElementById('possession-attempts') || {}).textContent || ''"
        pages.wait_until(lambda: "4" in pages.browser.execute_script(attempts), "a wrong code leaves four attempts")
        check("验证码不正确" in pages.find("#possession-code-error").text, f"the wrong code is explained: {pages.find('#possession-code-error').text}")
        pages.shot("applicant-possession-wrong")
        pages.type("#possession-code", code)
        pages.find("#result form.possession button[type=submit]").click()
        if pages.wait_for("#result .panel.approved", "the right code approves"):
            token = pages.find("#token").get_attribute("value")
            status, body = pages.server.call("POST", "/v1/tokens/verify", {"token": token}, demo["api_key"])
            check(status == 200 and json.loads(body).get("acr") == "registry+possession",
                  f"the token carries the possession assurance: {body[:200]}")

    # 2. Tidying: blanks around the number and a lower-case final x are fixed before sending,
    # exactly as the server tidies (POST /v1/validate says what it makes of the same input).
    pages.open("/")
    raw = "\u3000 11010519491231002x "
    field = pages.type("#individual-resident-id", raw)
    pages.find("#individual-name").click()  # leaving the field tidies it
    tidied = field.get_attribute("value")
    status, body = pages.server.call("POST", "/v1/validate", {"resident_id": raw})
    check(status == 200 and json.loads(body)["fields"]["resident_id"]["value"] == tidied == "11010519491231002X",
          f"the page tidies as the server does: {tidied!r} vs {body[:200]}")

    # 3. A forged number with a bad check character: pointed at while typing, then explained.
    typo = sample("individual-typo-checksum.json")
    pages.open("/")
    pages.type("#individual-name", typo["name"])
    field = pages.type("#individual-resident-id", typo["resident_id"])
    error = pages.wait_for("#individual-resident-id-error", "the check character is flagged while typing")
    if error:
        check("校验码" in error.text, f"the live error names the check character: {error.text}")
        check(field.get_attribute("aria-invalid") == "true", "the field is marked invalid")
        pages.shot("applicant-live-error")
    pages.find("#form-individual button[type=submit]").click()
    panel = pages.wait_for("#result .panel.rejected", "a bad check character is rejected")
    if panel:
        check("校验码" in pages.find("#result .message").text, f"explained: {pages.find('#result .message').text}")
        check("逐位核对" in pages.find("#result .advice").text, f"what to do: {pages.find('#result .advice').text}")
        check(pages.find("#result .code code").text == "checksum", "the reason code is shown")
        check(pages.find("#result .field-name").text == "公民身份号码", "the field is named")
        pages.shot("applicant-rejected-checksum")

    # 4. A real number under a wrong name: the registry's uniform answer, with what to do.
    borrowed = sample("individual-borrowed-name.json")
    pages.open("/")
    pages.type("#individual-name", borrowed["name"])
    pages.type("#individual-resident-id", borrowed["resident_id"])
    pages.find("#form-individual button[type=submit]").click()
    if pages.wait_for("#result .panel.rejected", "a wrong name is rejected"):
        check(pages.find("#result .code code").text == "registry_mismatch", "registry_mismatch")
        check("户籍登记" in pages.find("#result .message").text and "派出所" in pages.find("#result .advice").text,
              f"plain words about the registry: {pages.find('#result .advice').text}")
        check(pages.find("#individual-resident-id").get_attribute("aria-invalid") is None,
              "a registry mismatch does not mark the number itself as wrong")
        pages.shot("applicant-rejected-name")

    # 5. The same in English: the API's own message, and advice in English.
    pages.open("/?lang=en")
    check(pages.browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", "the English switch")
    pages.type("#individual-name", typo["name"])
    pages.type("#individual-resident-id", typo["resident_id"])
    pages.find("#form-individual button[type=submit]").click()
    if pages.wait_for("#result .panel.rejected", "English rejection"):
        check(pages.find("#result .message").text == "The check character does not match; please re-check the number.",
              f"English message: {pages.find('#result .message').text}")
        pages.shot("applicant-rejected-english")

    # 6. An organization applies, reaching its form with the keyboard only.
    organization = sample("organization-valid.json")
    pages.open("/")
    tab = pages.find("#tab-individual")
    tab.send_keys("\ue014")  # ArrowRight moves to the organization tab
    pages.wait_for("#form-organization", "the organization form opens from the keyboard")
    check(pages.browser.switch_to.active_element.get_attribute("id") == "tab-organization", "focus follows the tab")
    pages.type("#organization-organization-name", organization["organization_name"])
    if organization.get("credit_code"):
        pages.type("#organization-credit-code", organization["credit_code"])
    if organization.get("organization_code"):
        pages.type("#organization-organization-code", organization["organization_code"])
    pages.type("#organization-legal-representative", organization["legal_representative"])
    pages.type("#organization-operator-name", organization["operator"]["name"])
    pages.type("#organization-operator-resident-id", organization["operator"]["resident_id"])
    pages.find("#form-organization button[type=submit]").click()
    if pages.wait_for("#result .panel.approved", "a valid organization is approved"):
        check(pages.find("#token").get_attribute("value").count(".") == 2, "the organization's token")
        pages.shot("applicant-organization-approved")

    # 7. A phone-sized screen: nothing wider than the screen.
    pages.browser.set_window_size(360, 800)
    pages.open("/")
    inner = pages.browser.execute_script("return window.innerWidth")
    wide = pages.browser.execute_script("return document.documentElement.scrollWidth")
    check(wide <= inner, f"no sideways scrolling at 360 px ({wide} > {inner})")
    pages.shot("applicant-phone")
    pages.browser.set_window_size(1280, 1000)
    check(not [r for r in [pages.browser.current_url] if "resident" in r or "name=" in r], "no personal data in the URL")


def auditor_scenarios(pages, auditor_key, downloads):
    pages.open("/auditor")
    pages.shot("auditor-sign-in")
    pages.type("#api-key", "idca_ak_" + "a" * 52)
    pages.find("form.signin button").click()
    error = pages.wait_for("#signin-error", "a wrong key is refused")
    if error:
        check("无效" in error.text, "the refusal is explained")
    pages.type("#api-key", auditor_key)
    pages.find("form.signin button").click()
    if not pages.wait_for(".report svg", "the dashboard shows charts after signing in"):
        return
    check(not any(c["name"] == "idca_auditor" and not c.get("httpOnly") for c in pages.browser.get_cookies()), "the session cookie is HttpOnly")
    check(pages.browser.execute_script("return document.cookie").find("idca_auditor") < 0, "scripts cannot read the session cookie")
    bars = pages.browser.execute_script("return document.querySelectorAll('.report svg rect.bar, .report svg rect[class^=r], .report svg rect.approved').length")
    check(bars > 3, f"the charts have bars ({bars})")
    check("rejections by province" in pages.browser.page_source.lower() or "各省拒绝数" in pages.browser.page_source, "the province chart")
    pages.shot("auditor-dashboard")
    pages.shot("auditor-dashboard-top", whole=False)
    pages.browser.execute_script("document.querySelector('.report .figures').scrollIntoView()")
    pages.shot("auditor-dashboard-charts", whole=False)
    pages.browser.set_window_size(360, 800)
    pages.open("/auditor")
    pages.wait_for(".report svg.narrow", "the dashboard on a phone draws the narrow charts")
    wide = pages.browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    check(wide <= 0, f"the dashboard has no sideways scrolling at 360 px ({wide} px too wide)")
    pages.shot("auditor-dashboard-phone", whole=False)
    pages.browser.set_window_size(1280, 1000)

    # The audit chain, verified on request.
    pages.find("#verify-chain").click()
    result = pages.wait_for("#verify-result .ok", "the audit chain verifies intact")
    if result:
        check("#" in pages.find("#checkpoint").text or "none" in pages.find("#checkpoint").text, "the latest checkpoint is shown")

    # Filters: organizations only.
    from selenium.webdriver.support.ui import Select
    Select(pages.find("#subject-type")).select_by_value("organization")
    pages.find(".filters button").click()
    pages.wait_until(lambda: "subject_type=organization" in pages.browser.current_url, "the filter applies")
    pages.shot("auditor-dashboard-organizations")
    Select(pages.find("#subject-type")).select_by_value("")
    Select(pages.find("#group-by")).select_by_value("subject_type,reason")
    pages.find(".filters button").click()
    pages.wait_until(lambda: "group_by=subject_type" in pages.browser.current_url, "the breakdown applies")

    # The CSV download equals the API's answer to the same query.
    link = pages.find("#download-csv")
    href = link.get_attribute("href")
    link.click()
    deadline, files = time.time() + WAIT, []
    while time.time() < deadline:
        files = [f for f in os.listdir(downloads) if f.endswith(".csv")]
        if files:
            break
        time.sleep(0.2)
    if check(files, f"a CSV arrives in {downloads}"):
        downloaded = open(os.path.join(downloads, files[0]), "rb").read()
        query = href.split("?", 1)[1]
        status, api = pages.server.call("GET", "/v1/statistics/applications?" + query, api_key=auditor_key)
        check(status == 200 and downloaded == api, f"the CSV equals the API's ({len(downloaded)} vs {len(api)} bytes)")
        rows = downloaded.decode().splitlines()
        check(len(rows) > 2 and rows[0].startswith("subject_type,reason"), f"the CSV has rows: {rows[:2]}")

    # Sign out: the session ends, the dashboard asks for a key again.
    pages.find("form[action='/auditor/sign-out'] button").click()
    pages.wait_for("#api-key", "signing out returns to the sign-in form")
    pages.open("/auditor")
    check(not pages.all(".report svg"), "after signing out the charts are gone")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--idca", required=True)
    parser.add_argument("--artifacts", default=os.path.join(ROOT, "var", "test-artifacts", "browser"))
    options = parser.parse_args()
    idca = os.path.abspath(options.idca)
    artifacts = os.path.abspath(options.artifacts)
    shutil.rmtree(artifacts, ignore_errors=True)
    os.makedirs(artifacts)
    with tempfile.TemporaryDirectory(prefix="idca-browser-") as directory:
        downloads = os.path.join(directory, "downloads")
        os.makedirs(downloads)
        server = Server(idca, directory)
        server.command("keys", "generate")
        demo = json.loads(server.command("demo", "seed", "--residents", "2000", "--organizations", "200", "--traffic", "600", "--json").stdout)
        auditor = json.loads(server.command("auditors", "add", "--name", "浏览器测试 Browser", "--json").stdout)
        browser = start_browser(downloads)
        server.start()
        try:
            pages = Pages(browser, server, artifacts)
            applicant_scenarios(pages, os.path.join(directory, "var", "demo", "applications"), demo)
            auditor_scenarios(pages, auditor["api_key"], downloads)
            violations = pages.policy_violations()
            check(not violations, f"no Content-Security-Policy violations in the console: {violations[:3]}")
        finally:
            browser.quit()
            code = server.stop()
        check(code == 0, f"the server stops cleanly (exit {code})")
    print(f"screenshots: {artifacts}")
    print(f"browser: {tally.passed} passed, {tally.failed} failed")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
