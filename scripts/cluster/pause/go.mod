module local.orderflow/pause

go 1.24.0
