-- bench/cart.lua: wrk script for bench/load.sh. Each thread (run it with one connection per
-- thread) starts an app session (POST /api/v1/session, bearer token), then alternates adding a
-- random product of LOAD_CART_PRODUCTS (comma-separated ids) to its cart and removing a line
-- again, so carts stay small and no add runs into a product's stock. Prints the status counts
-- of all threads at the end.

local threads = {}

function setup(thread)
   threads[#threads + 1] = thread
end

function init(args)
   token = nil
   line = nil
   statuses = {}
   products = {}
   for id in string.gmatch(os.getenv("LOAD_CART_PRODUCTS"), "%d+") do products[#products + 1] = id end
   math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
   if not token then
      return wrk.format("POST", "/api/v1/session")
   end
   local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
   if line then
      return wrk.format("DELETE", "/api/v1/cart/items/" .. line, headers)
   end
   local body = '{"product_id":' .. products[math.random(#products)] .. ',"quantity":1}'
   return wrk.format("POST", "/api/v1/cart/items", headers, body)
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if not token then
      if status == 201 then token = body:match('"token":"([^"]+)"') end
   elseif line then
      line = nil
   elseif status == 201 then
      line = body:match('"key":"(%x+)"')
   end
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         total[status] = (total[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(total) do parts[#parts + 1] = status .. "=" .. n end
   table.sort(parts)
   io.write("cart statuses: " .. table.concat(parts, " ") .. "\n")
end
