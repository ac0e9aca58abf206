# syntax=docker/dockerfile:1
# The storefront and the operations console (web/) with the edge's routes (edge/), served by
# nginx as a non-root user: port 8080 public (no /ops), port 8081 with the console's operator
# paths too (docker/storefront/default.conf). In compose 8081 is the edge in front of both
# services; in Kubernetes the Ingress sends the pages to 8080 and the API paths to the services.
# No HEALTHCHECK: the orchestrators probe /healthz.
FROM nginxinc/nginx-unprivileged:1.27.3-alpine
COPY docker/storefront/default.conf /etc/nginx/conf.d/default.conf
COPY edge/routes.conf edge/ops-routes.conf edge/proxy.conf /etc/nginx/orderflow/
COPY web/ /usr/share/nginx/html/
# A high UID of no user on the host (the image's own nginx user is 101): the image writes only
# under /tmp, so any UID runs it.
USER 10101:10101
EXPOSE 8080 8081
