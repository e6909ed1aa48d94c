#!/usr/bin/python3
"""The console's dashboard in headless Chromium: signed in as an administrator, the page's
console.js (allowed by the Content-Security-Policy's script-src 'self', fetching under
connect-src 'self') polls /easd-admin/live.json and rewrites the figures in place: the body's
data-live-updated attribute takes each reading's time, and two different ones must show within
15 s, with no CSP violation in the browser's log. Run by the e2e case "console dashboard: console.js
updates the figures in Chromium" (tests/e2e/console_live_test.cpp). Exit status 0 when it did;
1 with the reason on stderr otherwise.

Debian's chromium, chromium-driver and python3-selenium (scripts/packages.txt)."""
import argparse
import sys

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from console_chromium import Steps, start_chromium


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="https://host:port (the console is under /easd-admin/)")
    ap.add_argument("--address", required=True)
    ap.add_argument("--password", required=True)
    args = ap.parse_args()

    driver = start_chromium(browser_log=True)
    steps = Steps(driver)
    try:
        steps.sign_in(args.url, args.address, args.password)
        driver.get(args.url + "/easd-admin/dashboard")
        steps.expect_text("Parked Pings", "dashboard")
        seen = set()

        def updated(d):
            stamp = d.find_element(By.TAG_NAME, "body").get_attribute("data-live-updated")
            if stamp:
                seen.add(stamp)
            return len(seen) >= 2
        try:
            WebDriverWait(driver, 15, poll_frequency=0.5).until(updated)
        except TimeoutException:
            raise AssertionError(f"console.js did not update the dashboard twice (readings seen: {sorted(seen)})") from None
        shown = driver.find_element(By.CSS_SELECTOR, "[data-live='read_at']").text
        if shown not in seen:
            raise AssertionError(f"the page's reading time {shown!r} is not one live.json gave ({sorted(seen)})")
        violations = [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]
        if violations:
            raise AssertionError("CSP violations: " + "; ".join(violations))
        print("console.js updated the dashboard:", ", ".join(sorted(seen)))
        return 0
    except AssertionError as e:
        print(e, file=sys.stderr)
        return 1
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
