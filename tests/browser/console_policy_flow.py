#!/usr/bin/python3
"""The console's policy page in headless Chromium, as an administrator uses it: sign in, open the
device's page, follow its "Policy" link, set MinDevicePasswordLength to 9 at the device's level,
switch enforcement on there, and see the value shown as the device's own. Screenshots of each step
go to --screenshots. Run by the e2e case "console policies: headless Chromium changes a device's
policy" (tests/e2e/console_policies_test.cpp), which then checks the stored row. Exit status 0 when
every step showed what it should; 1 with the reason on stderr otherwise.

Debian's chromium, chromium-driver and python3-selenium (scripts/packages.txt)."""
import argparse
import sys
import urllib.parse

from selenium.webdriver.common.by import By

from console_chromium import Steps, start_chromium


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="https://host:port (the console is under /easd-admin/)")
    ap.add_argument("--address", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--owner", required=True, help="the address whose device's policy is changed")
    ap.add_argument("--device", required=True, help="its DeviceId")
    ap.add_argument("--screenshots", required=True, help="directory for the PNGs")
    args = ap.parse_args()
    driver = start_chromium(window_size="1400,1800")
    steps = Steps(driver, args.screenshots)
    shot, expect, expect_text = steps.shot, steps.expect, steps.expect_text

    def row_cell(name, css_class):
        return driver.find_element(By.CSS_SELECTOR, f"tr#setting-{name} td.{css_class}").text

    try:
        steps.sign_in(args.url, args.address, args.password)

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
