-- bench/catalogue.lua: wrk script for bench/load.sh. Every request is a GET of a random path
-- from the file named by LOAD_PATHS (one path per line: product list pages and filters, product
-- details, categories, tags, attributes, facets), all warmed into the cache beforehand.

local paths = {}
for line in io.lines(os.getenv("LOAD_PATHS")) do
   if line ~= "" then paths[#paths + 1] = line end
end

function init(args)
   -- Different threads, different sequences.
   math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
   return wrk.format("GET", paths[math.random(#paths)])
end
