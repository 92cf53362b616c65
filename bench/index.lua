-- bench/index.lua: wrk script for bench/index.sh. Each thread walks its own share of the
-- never-repeated paths in the file named by INDEX_PATHS (lists with filters, sorts and pages,
-- facets, searches), so every request is a query the BFF has not seen before.
local paths = {}
for line in io.lines(os.getenv("INDEX_PATHS")) do
   if line ~= "" then paths[#paths + 1] = line end
end
local threads, counter = 0, 0
local next_index = 1
local stride = 1

function setup(thread)
   counter = counter + 1
   thread:set("offset", counter)
   threads = counter
end

function init(args)
   next_index = tonumber(offset) or 1
   stride = tonumber(os.getenv("INDEX_THREADS") or "1")
end

function request()
   local path = paths[next_index]
   next_index = next_index + stride
   if next_index > #paths then next_index = (next_index % stride) + 1 end
   return wrk.format("GET", path)
end
