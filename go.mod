module github.com/idpool/idpool

go 1.26
