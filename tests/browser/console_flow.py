#!/usr/bin/python3
"""The web console in headless Chromium, as an administrator uses it: sign in, find the device in
the list, open it, wipe it. Screenshots of each step go to --screenshots. Run by the e2e case
"console: headless Chromium signs in, lists devices and wipes a phone" (tests/e2e/console_test.cpp),
which then checks that the phone gets the wipe. Exit status 0 when every step showed what it should;
1 with the reason on stderr otherwise.

Debian's chromium, chromium-driver and python3-selenium (scripts/packages.txt)."""
import argparse
import os
import sys

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
    ap.add_argument("--owner", required=True, help="the address whose device is wiped")
    ap.add_argument("--device", required=True, help="its DeviceId")
    ap.add_argument("--screenshots", required=True, help="directory for the PNGs")
    args = ap.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--ignore-certificate-errors", "--window-size=1400,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)

    def shot(name):
        driver.save_screenshot(os.path.join(args.screenshots, name + ".png"))

    def expect(text, step):
        # A click that submits a form returns before the browser has followed the 303 and loaded
        # the next page: wait for the text rather than read whatever page is there now.
        try:
            WebDriverWait(driver, 20).until(lambda d: text in d.page_source)
        except TimeoutException:
            shot("failed-" + step)
            raise AssertionError(f"{step}: the page does not show {text!r} ({driver.current_url})") from None

    try:
        driver.get(args.url + "/easd-admin/")
        expect("Sign in", "sign-in page")
        shot("1-sign-in")
        driver.find_element(By.NAME, "address").send_keys(args.address)
        driver.find_element(By.NAME, "password").send_keys(args.password)
        driver.find_element(By.CSS_SELECTOR, "form[action='/easd-admin/login'] button").click()
        expect("Administrator of", "device list")
        cookie = driver.get_cookie("easd_console")
        if not cookie or not cookie.get("httpOnly") or not cookie.get("secure") or cookie.get("sameSite") != "Strict":
            raise AssertionError(f"session cookie: {cookie}")

        driver.find_element(By.NAME, "user").send_keys(args.owner)
        driver.find_element(By.CSS_SELECTOR, "form[action='/easd-admin/'] button").click()
        expect(args.device, "filtered device list")
        shot("2-device-list")

        driver.find_element(By.LINK_TEXT, args.device).click()
        expect("Wipe device", "device page")
        shot("3-device")
        driver.find_element(By.CSS_SELECTOR, "button[value='wipe']").click()
        expect("Wipe requested", "after the wipe")
        expect("Cancel wipe", "after the wipe")
        shot("4-wipe-requested")
    except Exception as e:  # noqa: BLE001 - every failure is the test's answer
        print(f"console_flow: {e}", file=sys.stderr)
        return 1
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
