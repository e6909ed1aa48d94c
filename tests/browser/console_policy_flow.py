#!/usr/bin/python3
"""The console's policy page in headless Chromium, as an administrator uses it: sign in, open the
device's page, follow its "Policy" link, set MinDevicePasswordLength to 9 at the device's level,
switch enforcement on there, and see the value shown as the device's own. Screenshots of each step
go to --screenshots. Run by the e2e case "console policies: headless Chromium changes a device's
policy" (tests/e2e/console_policies_test.cpp), which then checks the stored row. Exit status 0 when
every step showed what it should; 1 with the reason on stderr otherwise.

Debian's chromium, chromium-driver and python3-selenium (scripts/packages.txt)."""
import argparse
import os
import sys
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="https://host:port (the console is under /easd-admin/)")
    ap.add_argument("--address", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--owner", required=True, help="the address whose device's policy is changed")
    ap.add_argument("--device", required=True, help="its DeviceId")
    ap.add_argument("--screenshots", required=True, help="directory for the PNGs")
    args = ap.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--ignore-certificate-errors", "--window-size=1400,1800"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)

    def shot(name):
        driver.save_screenshot(os.path.join(args.screenshots, name + ".png"))

    def expect(condition, step, what):
        # A click that submits a form returns before the browser has followed the 303 and loaded
        # the next page: wait for what the next page shows rather than read the page there now.
        try:
            WebDriverWait(driver, 20).until(condition)
        except TimeoutException:
            shot("failed-" + step)
            raise AssertionError(f"{step}: the page does not show {what} ({driver.current_url})") from None

    def expect_text(text, step):
        expect(lambda d: text in d.page_source, step, repr(text))

    def row_cell(name, css_class):
        return driver.find_element(By.CSS_SELECTOR, f"tr#setting-{name} td.{css_class}").text

    try:
        driver.get(args.url + "/easd-admin/")
        expect_text("Sign in", "sign-in page")
        driver.find_element(By.NAME, "address").send_keys(args.address)
        driver.find_element(By.NAME, "password").send_keys(args.password)
        driver.find_element(By.CSS_SELECTOR, "form[action='/easd-admin/login'] button").click()
        expect_text("Administrator of", "device list")

        query = urllib.parse.urlencode({"user": args.owner, "id": args.device})
        driver.get(args.url + "/easd-admin/device?" + query)
        expect_text("Wipe device", "device page")
        driver.find_element(By.LINK_TEXT, "Policy").click()
        expect_text("Policy: device " + args.device, "policy page")
        if row_cell("MinDevicePasswordLength", "source") != "default":
            raise AssertionError("MinDevicePasswordLength does not come from the default at first")
        shot("1-policy-page")

        field = driver.find_element(By.CSS_SELECTOR, "tr#setting-MinDevicePasswordLength input[name='value']")
        field.clear()
        field.send_keys("9")
        driver.find_element(By.CSS_SELECTOR, "tr#setting-MinDevicePasswordLength button[type='submit']").click()
        expect_text("MinDevicePasswordLength is saved at this level", "after setting the value")
        # Not enforced yet: greyed.
        row = driver.find_element(By.CSS_SELECTOR, "tr#setting-MinDevicePasswordLength")
        if "unenforced" not in (row.get_attribute("class") or ""):
            raise AssertionError("the value is not greyed while the policy is not enforced")
        shot("2-value-set")

        driver.find_element(By.CSS_SELECTOR, "button[name='value'][value='on']").click()
        expect_text("Enforcement is saved at this level", "after enforcing")
        expect(lambda d: row_cell("MinDevicePasswordLength", "value") == "9"
               and row_cell("MinDevicePasswordLength", "source") == "device", "after enforcing",
               "9 from the device")
        row = driver.find_element(By.CSS_SELECTOR, "tr#setting-MinDevicePasswordLength")
        if "unenforced" in (row.get_attribute("class") or ""):
            raise AssertionError("the value is still greyed while the policy is enforced")
        shot("3-enforced")
    except Exception as e:  # noqa: BLE001 - every failure is the test's answer
        print(f"console_policy_flow: {e}", file=sys.stderr)
        return 1
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
