#!/usr/bin/env bash
# Install the Debian packages KloudSSO's tests need beyond Python, when they are missing (the site itself needs none:
# SAML signatures are checked in process by the xmlsec package):
#   xmlsec1        the tests' crafting IdP signs responses with it (a signer independent of the code under test);
#                  make bench's stock djangosaml2 verifies with it ("bench")
#   simplesamlphp  the real SAML IdP the tests sign in against (with "test"), with php-cli and php-xml
#   chromium       the browser the browser tests drive (with "test"); Playwright never downloads one
#   haproxy        the load balancer in front of two app servers in the scale-out test (with "test")
# As root it installs them with apt-get; otherwise it says what to install and goes on.
set -euo pipefail
need=()
if [ "${1:-}" = "test" ] || [ "${1:-}" = "bench" ]; then
  command -v xmlsec1 >/dev/null 2>&1 || need+=(xmlsec1)
fi
if [ "${1:-}" = "test" ]; then
  [ -d /usr/share/simplesamlphp ] || need+=(simplesamlphp)
  command -v php >/dev/null 2>&1 || need+=(php-cli)
  php -m 2>/dev/null | grep -qix dom || need+=(php-xml)  # SimpleSAMLphp cannot run without DOM and SimpleXML
  [ -x /usr/bin/chromium ] || need+=(chromium)  # the browser tests drive Debian's Chromium with Playwright
  [ -x /usr/sbin/haproxy ] || need+=(haproxy)  # the scale-out test's load balancer (not on a user's PATH)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${need[*]} (Debian: sudo apt-get install ${need[*]}). Tests that need them are skipped."
  exit 0
fi
# Installing must not start services: simplesamlphp pulls in apache2, which would listen on every interface, and
# haproxy's own service would start with Debian's configuration.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
fi
echo "Installing ${need[*]} ..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
