-- The product catalog: the only source of prices (clients never send them).
CREATE TABLE products (
    sku         text PRIMARY KEY CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]{0,31}$'),
    name        text NOT NULL,
    price_minor bigint NOT NULL CHECK (price_minor > 0),
    currency    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$')
);

INSERT INTO products (sku, name, price_minor, currency) VALUES
    ('KB-001',  'Mechanical keyboard',        8900, 'USD'),
    ('MS-002',  'Wireless mouse',             2900, 'USD'),
    ('MN-003',  '27-inch monitor',           24900, 'USD'),
    ('HS-004',  'Noise-cancelling headset',  15900, 'USD'),
    ('CB-005',  'USB-C cable, 2 m',           1200, 'USD'),
    ('DK-006',  'Laptop dock',               13900, 'USD');
