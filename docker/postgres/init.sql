-- Each service owns its database (docs/architecture.md, section 2).
CREATE DATABASE orderflow_checkout;
CREATE DATABASE orderflow_order;
