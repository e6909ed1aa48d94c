"""What the console's headless-Chromium scripts share (console_flow.py, console_policy_flow.py,
console_live.py): Debian's chromium driven through chromium-driver and python3-selenium
(scripts/packages.txt), waiting for what a page shows, screenshots, and signing in."""
import os

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def start_chromium(window_size="1400,900", browser_log=False):
    """Headless Chromium that trusts the test certificate; browser_log keeps the console messages
    (CSP violations) for driver.get_log("browser")."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--ignore-certificate-errors", "--window-size=" + window_size):
        options.add_argument(flag)
    if browser_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    return driver


class Steps:
    """Waits for each step's page, with a screenshot of a step that failed (and of those named by
    shot()) in `screenshots`, when given."""

    def __init__(self, driver, screenshots=None):
        self.driver = driver
        self.screenshots = screenshots
        if screenshots:
            os.makedirs(screenshots, exist_ok=True)

    def shot(self, name):
        if self.screenshots:
            self.driver.save_screenshot(os.path.join(self.screenshots, name + ".png"))

    def expect(self, condition, step, what, timeout=20):
        # A click that submits a form returns before the browser has followed the 303 and loaded
        # the next page: wait for what the next page shows rather than read the page there now.
        try:
            WebDriverWait(self.driver, timeout).until(condition)
        except TimeoutException:
            self.shot("failed-" + step)
            raise AssertionError(f"{step}: the page does not show {what} ({self.driver.current_url})") from None

    def expect_text(self, text, step):
        self.expect(lambda d: text in d.page_source, step, repr(text))

    def sign_in(self, url, address, password, shot_name=None):
        """Signs in on the console's sign-in form and waits for an administrator's start page
        (shot_name: a screenshot of the sign-in page first)."""
        self.driver.get(url + "/easd-admin/")
        self.expect_text("Sign in", "sign-in page")
        if shot_name:
            self.shot(shot_name)
        self.driver.find_element(By.NAME, "address").send_keys(address)
        self.driver.find_element(By.NAME, "password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "form[action='/easd-admin/login'] button").click()
        self.expect_text("Administrator of", "device list")
