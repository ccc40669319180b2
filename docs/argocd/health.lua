-- Argo CD health check for uc.ucdeploy.io/UCDeployment (ucdeploy).
--
-- Argo CD gives a custom resource without a health check the status Healthy as soon as it
-- exists. This check reads the status the ucdeploy controller writes instead, in this order:
--
--   1. no status, or status.observedGeneration below metadata.generation: Progressing. A status
--      about an older spec says nothing about the current one, not even that it failed.
--   2. Stalled=True, or Ready=False with reason PlanHasErrors, NameConflict or IssuerNotAllowed:
--      Degraded. The controller will not get further without a change to the spec or to the
--      cluster.
--   3. Reconciling=True: Progressing (certificates being issued, an apply being retried).
--   4. Ready=True: Healthy.
--   5. anything else: Progressing.
--
-- The message is the Ready condition's message when there is one.

local function findCondition(conditions, conditionType)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

local degradedReasons = { PlanHasErrors = true, NameConflict = true, IssuerNotAllowed = true }

local function evaluate(o)
  local hs = { status = "Progressing", message = "Waiting for the ucdeploy controller to report status" }
  local st = o.status
  if st == nil then
    return hs
  end

  local generation = 0
  if o.metadata ~= nil and o.metadata.generation ~= nil then
    generation = o.metadata.generation
  end
  local observed = st.observedGeneration
  if observed == nil or observed < generation then
    local seen = "none"
    if observed ~= nil and observed >= 0 then
      seen = tostring(observed)
    end
    hs.message = "Waiting for the ucdeploy controller to observe generation " .. tostring(generation) ..
      " (status describes: " .. seen .. ")"
    return hs
  end

  local ready = findCondition(st.conditions, "Ready")
  local stalled = findCondition(st.conditions, "Stalled")
  local reconciling = findCondition(st.conditions, "Reconciling")
  if ready ~= nil and ready.message ~= nil and ready.message ~= "" then
    hs.message = ready.message
  end

  if isTrue(stalled) or (ready ~= nil and ready.status == "False" and degradedReasons[ready.reason]) then
    hs.status = "Degraded"
    if (ready == nil or ready.message == nil or ready.message == "") and stalled ~= nil and stalled.message ~= nil then
      hs.message = stalled.message
    end
    return hs
  end
  if isTrue(reconciling) then
    return hs
  end
  if isTrue(ready) then
    hs.status = "Healthy"
    return hs
  end
  return hs
end

return evaluate(obj)
