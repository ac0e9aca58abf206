#!/usr/bin/env bash
# One checkout through the Ingress at URL, as the README's walk-through does it with curl: a
# session, a cart, the checkout, then its saga to COMPLETED and the order CONFIRMED (both
# services, each reached by its own Ingress path). Fails on any other outcome within 60 s.
#   scripts/cluster/checkout.sh URL
set -euo pipefail
cd "$(dirname "$0")/../.."
url=${1:?usage: checkout.sh URL}
token=$(scripts/token.sh "cluster-test-$RANDOM")
auth=(-H "Authorization: Bearer $token")
json=(-H 'Content-Type: application/json')
fail() { echo "checkout.sh: $*" >&2; exit 1; }

curl -sf "$url/" | grep -qi '<html' || fail "the storefront's page is not served at $url/"
session=$(curl -sf -X POST "$url/v1/sessions" "${auth[@]}" | jq -er .session_id) ||
  fail "POST $url/v1/sessions failed"
curl -sf -X PUT "$url/v1/cart/items/KB-001" "${auth[@]}" -H "X-Session-Id: $session" "${json[@]}" \
  -d '{"quantity": 2}' >/dev/null || fail "PUT $url/v1/cart/items/KB-001 failed"
checkout=$(curl -sf -X POST "$url/v1/checkouts" "${auth[@]}" -H "X-Session-Id: $session" \
  -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" "${json[@]}" \
  -d '{"payment": {"card_token": "tok_visa"}}' | jq -er .checkout_id) ||
  fail "POST $url/v1/checkouts failed"
for _ in $(seq 120); do
  body=$(curl -sf "$url/v1/checkouts/$checkout" "${auth[@]}") || fail "GET checkout failed"
  status=$(jq -r .status <<<"$body")
  [ "$status" = PENDING ] || break
  sleep 0.5
done
[ "$status" = COMPLETED ] || fail "checkout $checkout ended $status: $body"
order=$(jq -er .order_id <<<"$body")
order_status=$(curl -sf "$url/v1/orders/$order" "${auth[@]}" | jq -r .status) ||
  fail "GET $url/v1/orders/$order failed"
[ "$order_status" = CONFIRMED ] || fail "order $order is $order_status, not CONFIRMED"
echo "checkout $checkout COMPLETED, order $order CONFIRMED, through $url"
