#!/usr/bin/python3
"""The web console in headless Chromium, as an administrator uses it: sign in, find the device in
the list, open it, wipe it. Screenshots of each step go to --screenshots. Run by the e2e case
"console: headless Chromium signs in, lists devices and wipes a phone" (tests/e2e/console_test.cpp),
which then checks that the phone gets the wipe. Exit status 0 when every step showed what it should;
1 with the reason on stderr otherwise.

Debian's chromium, chromium-driver and python3-selenium (scripts/packages.txt)."""
import argparse
import sys

from selenium.webdriver.common.by import By

from console_chromium import Steps, start_chromium


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="https://host:port (the console is under /easd-admin/)")
    ap.add_argument("--address", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--owner", required=True, help="the address whose device is wiped")
    ap.add_argument("--device", required=True, help="its DeviceId")
    ap.add_argument("--screenshots", required=True, help="directory for the PNGs")
    args = ap.parse_args()
    driver = start_chromium()
    steps = Steps(driver, args.screenshots)
    shot, expect = steps.shot, steps.expect_text

    try:
        steps.sign_in(args.url, args.address, args.password, shot_name="1-sign-in")
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
