extension DashboardPage {
    /// The page's markup, between `<body>` and the script. Every control has a label; the
    /// tables are real tables; `#status` is the live region that says loading, empty or error.
    static let body = #"""
<header>
  <h1>AI usage</h1>
  <p id="range-label" class="muted">Cost of the AI API calls recorded in the usage table.</p>
</header>
<main>
  <form id="controls" aria-label="What to show">
    <fieldset>
      <legend>Range</legend>
      <button type="button" data-preset="today">Today</button>
      <button type="button" data-preset="7d">7 days</button>
      <button type="button" data-preset="month">This month</button>
      <button type="button" data-preset="last-month">Last month</button>
    </fieldset>
    <label>From <input type="date" id="start" name="start_date" required></label>
    <label>To <input type="date" id="end" name="end_date" required></label>
    <label>Service <select id="service" name="service"><option value="">All services</option></select></label>
    <label>Stack by <select id="stack" name="stack">
      <option value="service">Service</option><option value="model">Model</option><option value="operation">Operation</option>
    </select></label>
    <label>Job <input id="job" name="job_id" placeholder="any job" autocomplete="off" spellcheck="false"></label>
    <label>User <input id="user" name="user_id" placeholder="any user" autocomplete="off" spellcheck="false"></label>
    <button type="submit" id="apply" class="primary">Apply</button>
    <button type="button" id="reset">Clear filters</button>
    <button type="button" id="download-csv">Download CSV</button>
    <details>
      <summary>Access token</summary>
      <label>Bearer token (JWT), kept for this tab only
        <input type="password" id="token" autocomplete="off" spellcheck="false"></label>
    </details>
  </form>
  <p id="filters" class="muted"></p>
  <div id="status" role="status" aria-live="polite" data-state="loading">Loading…</div>
  <div id="content" hidden>
    <section aria-labelledby="totals-title">
      <h2 id="totals-title">Totals</h2>
      <dl class="totals">
        <div><dt>Cost</dt><dd id="total-cost"></dd></div>
        <div><dt>API calls</dt><dd id="total-calls"></dd></div>
        <div><dt>Tokens</dt><dd id="total-tokens"></dd></div>
        <div><dt>Average cost per call</dt><dd id="average-cost"></dd></div>
        <div id="unpriced-box" hidden><dt>Calls without a price</dt><dd id="unpriced-slot"></dd></div>
      </dl>
    </section>
    <section aria-labelledby="chart-title">
      <h2 id="chart-title">Daily cost</h2>
      <p class="muted">Select a day to look at it alone.</p>
      <div id="chart" class="chart-wrap"></div>
      <ul id="legend" class="legend" aria-label="Legend"></ul>
    </section>
    <section aria-labelledby="heat-title">
      <h2 id="heat-title">Cost by hour of day (UTC)</h2>
      <div id="heat" class="heat"></div>
    </section>
    <div class="grid">
      <section aria-labelledby="models-title"><h2 id="models-title">Top models</h2><div class="table-wrap" id="models"></div></section>
      <section aria-labelledby="operations-title"><h2 id="operations-title">Operations</h2><div class="table-wrap" id="operations"></div></section>
      <section aria-labelledby="services-title"><h2 id="services-title">Services</h2><div class="table-wrap" id="services"></div></section>
      <section aria-labelledby="users-title"><h2 id="users-title">Top users</h2><div class="table-wrap" id="users"></div></section>
      <section aria-labelledby="jobs-title"><h2 id="jobs-title">Top jobs</h2>
        <p class="muted">Read from every call of the range: jobs are not in the daily rollups.</p>
        <div class="table-wrap" id="jobs" data-state="loading"></div></section>
    </div>
    <section id="budgets-section" aria-labelledby="budgets-title" hidden>
      <h2 id="budgets-title">Budgets</h2>
      <div id="budgets"></div>
    </section>
  </div>
</main>
<footer>Costs are exact sums of the recorded calls, rounded to the cent for display (hover for the exact figure). Days and hours are UTC.</footer>
"""#
}
