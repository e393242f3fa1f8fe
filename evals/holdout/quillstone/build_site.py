#!/usr/bin/env python3
"""Generate the static Quillstone Analytics marketing site under site/.

Each page is written folder-per-page (site/pricing/index.html is served as
https://quillstone.example/pricing/). Shared header navigation, cookie banner
and footer are added to every page, as on a real marketing site.

Usage:  python build_site.py          (rewrites site/ next to this file)
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "site"
BASE = "https://quillstone.example"

HEADER = """
<div class="cookie-banner" id="cookie-banner" role="dialog" aria-label="Cookie consent">
  <p>We use cookies to keep you signed in, understand how our site is used and improve your experience.
  You can accept all cookies or manage your preferences. See our <a href="/legal/privacy/">Privacy Policy</a>.</p>
  <button type="button" class="btn">Accept all</button>
  <button type="button" class="btn btn-secondary">Reject non-essential</button>
  <button type="button" class="link">Cookie settings</button>
</div>
<header class="site-header">
  <a class="logo" href="/"><img src="/assets/img/quillstone-logo.svg" alt="Quillstone Analytics"></a>
  <nav class="main-nav" aria-label="Main">
    <ul>
      <li class="has-menu"><a href="/product/">Product</a>
        <ul class="submenu">
          <li><a href="/product/pipelines/">Pipelines</a></li>
          <li><a href="/product/transformations/">Transformations</a></li>
          <li><a href="/product/dashboards/">Dashboards</a></li>
          <li><a href="/product/alerts/">Alerts</a></li>
          <li><a href="/add-ons/">Add-ons</a></li>
        </ul>
      </li>
      <li><a href="/integrations/">Integrations</a></li>
      <li><a href="/pricing/">Pricing</a></li>
      <li><a href="/customers/">Customers</a></li>
      <li class="has-menu"><a href="/help/">Resources</a>
        <ul class="submenu">
          <li><a href="/blog/">Blog</a></li>
          <li><a href="/events/">Webinars &amp; Events</a></li>
          <li><a href="/help/">Help Center</a></li>
          <li><a href="/status/">System Status</a></li>
        </ul>
      </li>
      <li class="has-menu"><a href="/about/">Company</a>
        <ul class="submenu">
          <li><a href="/about/">About us</a></li>
          <li><a href="/careers/">Careers</a></li>
          <li><a href="/partners/">Partners</a></li>
          <li><a href="/contact/">Contact</a></li>
        </ul>
      </li>
    </ul>
  </nav>
  <div class="header-cta">
    <a href="https://app.quillstone.example/login">Log in</a>
    <a class="btn" href="https://app.quillstone.example/signup">Start free trial</a>
  </div>
</header>
"""

FOOTER = """
<footer class="site-footer">
  <div class="footer-cols">
    <div>
      <h4>Product</h4>
      <ul>
        <li><a href="/product/">Platform overview</a></li>
        <li><a href="/product/pipelines/">Pipelines</a></li>
        <li><a href="/product/transformations/">Transformations</a></li>
        <li><a href="/product/dashboards/">Dashboards</a></li>
        <li><a href="/product/alerts/">Alerts</a></li>
        <li><a href="/add-ons/">Add-ons</a></li>
        <li><a href="/integrations/">Integrations</a></li>
        <li><a href="/pricing/">Pricing</a></li>
      </ul>
    </div>
    <div>
      <h4>Resources</h4>
      <ul>
        <li><a href="/blog/">Blog</a></li>
        <li><a href="/events/">Webinars &amp; events</a></li>
        <li><a href="/customers/">Customer stories</a></li>
        <li><a href="/help/">Help Center</a></li>
        <li><a href="/services/">Professional services</a></li>
        <li><a href="/status/">Status</a></li>
      </ul>
    </div>
    <div>
      <h4>Company</h4>
      <ul>
        <li><a href="/about/">About</a></li>
        <li><a href="/careers/">Careers</a></li>
        <li><a href="/partners/">Partner program</a></li>
        <li><a href="/security/">Security</a></li>
        <li><a href="/contact/">Contact us</a></li>
      </ul>
    </div>
    <div>
      <h4>Legal</h4>
      <ul>
        <li><a href="/legal/privacy/">Privacy Policy</a></li>
        <li><a href="/legal/dpa/">Data Processing Addendum</a></li>
        <li><a href="/legal/privacy/#cookies">Cookie preferences</a></li>
      </ul>
    </div>
  </div>
  <div class="footer-offices">
    <p><strong>Denver (HQ)</strong> &middot; <strong>Austin</strong> &middot; <strong>Dublin</strong></p>
    <p>Follow us:
      <a href="https://www.linkedin.com/company/quillstone-analytics">LinkedIn</a> &middot;
      <a href="https://github.com/quillstone">GitHub</a> &middot;
      <a href="https://www.youtube.com/@quillstone">YouTube</a></p>
  </div>
  <p class="copyright">&copy; 2026 Quillstone Analytics, Inc. All rights reserved. Quillstone and the Quillstone logo are trademarks of Quillstone Analytics, Inc.</p>
</footer>
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<meta name="description" content="{description}">
<link rel="canonical" href="{canonical}">
{og}<link rel="stylesheet" href="/assets/css/site.css">
<script async src="/assets/js/analytics.js"></script>
</head>
<body class="page-{slug}">
{header}
<main id="main">
{main}
</main>
{footer}
<script src="/assets/js/site.js"></script>
</body>
</html>
"""

PAGES: list[dict] = []


def page(path: str, title: str, description: str, main: str, og_image: str | None = None) -> None:
    """Register one page of the site."""
    PAGES.append(
        {
            "path": path,
            "title": title,
            "description": description,
            "main": main,
            "og_image": og_image,
        }
    )


# --------------------------------------------------------------------------- home
page(
    "",
    "Quillstone Analytics | Data pipelines and dashboards your whole team can trust",
    "Quillstone connects your apps, databases and warehouse, models the data and turns it into dashboards and alerts. Start a 14-day free trial.",
    """
<section class="hero">
  <h1>From scattered data to decisions, in one platform</h1>
  <p>Quillstone moves data from 140+ sources into your warehouse, models it with SQL, and puts live dashboards
  and alerts in front of the people who need them. No glue code, no weekend cron jobs.</p>
  <p><a class="btn" href="https://app.quillstone.example/signup">Start your 14-day free trial</a>
     <a class="btn btn-secondary" href="/contact/">Talk to sales</a></p>
  <p class="small">No credit card required. Set up your first pipeline in under ten minutes.</p>
</section>
<section class="logos">
  <h2>Trusted by 1,400+ data teams</h2>
  <p>Northwind Logistics &middot; Bramblewood Health &middot; Tidewater Outfitters &middot; Kestrel Energy &middot; Harrow &amp; Finch &middot; Solace Mutual</p>
</section>
<section class="pillars">
  <h2>Everything between the source and the slide deck</h2>
  <div class="pillar">
    <h3><a href="/product/pipelines/">Pipelines</a></h3>
    <p>Managed ELT with change data capture, schema-drift handling and reverse ETL back into your CRM.</p>
  </div>
  <div class="pillar">
    <h3><a href="/product/transformations/">Transformations</a></h3>
    <p>SQL models, tests and lineage, compatible with dbt Core and versioned in Git.</p>
  </div>
  <div class="pillar">
    <h3><a href="/product/dashboards/">Dashboards</a></h3>
    <p>Drag-and-drop dashboards, scheduled reports and embedded analytics for your own customers.</p>
  </div>
  <div class="pillar">
    <h3><a href="/product/alerts/">Alerts</a></h3>
    <p>Metric monitors and anomaly detection that ping Slack, Microsoft Teams or PagerDuty before the numbers go sideways.</p>
  </div>
</section>
<section class="proof">
  <h2>Why teams switch to Quillstone</h2>
  <ul>
    <li>One bill and one vendor instead of three separate tools for ingestion, modeling and BI.</li>
    <li>SOC 2 Type II audited, GDPR-ready, with a choice of US or EU data residency. <a href="/security/">Learn about security</a>.</li>
    <li>Real humans in support, in Denver, Austin and Dublin.</li>
  </ul>
  <blockquote>"We replaced a homegrown Airflow setup and two BI tools in one quarter." &mdash; Head of Data, Tidewater Outfitters.
  <a href="/customers/tidewater-outfitters/">Read the story</a></blockquote>
</section>
<section class="cta">
  <h2>See it with your own data</h2>
  <p>Compare <a href="/pricing/">plans and pricing</a>, browse <a href="/integrations/">integrations</a>, or join a live
  <a href="/events/">webinar</a>.</p>
</section>
""",
    og_image="/assets/og/home.png",
)

# --------------------------------------------------------------------------- product
page(
    "product",
    "Platform overview | Quillstone Analytics",
    "One platform for data ingestion, SQL modeling, dashboards and alerting. See how Quillstone's modules fit together.",
    """
<h1>The Quillstone platform</h1>
<p class="lead">Quillstone is a cloud data platform for mid-size and enterprise teams. It is made of four modules that share
one catalog, one permission model and one bill. Every plan includes all four modules; plans differ in users, connectors,
sync frequency and support.</p>
<h2>How it fits together</h2>
<ol>
  <li><strong>Pipelines</strong> pull data from SaaS apps, databases and files and load it into your warehouse.</li>
  <li><strong>Transformations</strong> turn raw tables into clean, tested models.</li>
  <li><strong>Dashboards</strong> put those models in front of business users.</li>
  <li><strong>Alerts</strong> watch your metrics and tell you when something changes.</li>
</ol>
<h2>Modules</h2>
<ul>
  <li><a href="/product/pipelines/">Pipelines</a> &mdash; managed ELT and reverse ETL</li>
  <li><a href="/product/transformations/">Transformations</a> &mdash; SQL modeling, testing and lineage</li>
  <li><a href="/product/dashboards/">Dashboards</a> &mdash; self-serve BI and embedded analytics</li>
  <li><a href="/product/alerts/">Alerts</a> &mdash; monitoring and anomaly detection</li>
</ul>
<h2>Bring your own warehouse</h2>
<p>Quillstone does not lock your data into a proprietary store. It writes to the warehouse you already run &mdash;
Snowflake, Google BigQuery, Amazon Redshift, Databricks or Postgres &mdash; and queries it in place.
See <a href="/integrations/">all integrations</a>.</p>
<h2>Deployment</h2>
<p>Quillstone is a fully managed cloud service hosted on AWS in the United States or the European Union. Enterprise
customers who cannot open inbound firewall rules can run the lightweight Quillstone Private Agent inside their own
network to execute pipelines close to their databases.</p>
<p><a class="btn" href="/pricing/">Compare plans</a> <a class="btn btn-secondary" href="/add-ons/">Explore add-ons</a></p>
""",
    og_image="/assets/og/platform.png",
)

page(
    "product/pipelines",
    "Pipelines: managed ELT and reverse ETL | Quillstone",
    "Quillstone Pipelines syncs 140+ sources into Snowflake, BigQuery, Redshift, Databricks and Postgres, with CDC and reverse ETL.",
    """
<h1>Pipelines</h1>
<p class="lead">Stop babysitting scripts. Quillstone Pipelines keeps your warehouse fresh with fully managed connectors.</p>
<h2>What you get</h2>
<ul>
  <li><strong>140+ prebuilt connectors</strong> for SaaS apps, databases, event streams and files.</li>
  <li><strong>Change data capture (CDC)</strong> for Postgres, MySQL and SQL Server, reading the database log instead of hammering your tables.</li>
  <li><strong>Schema drift handling</strong>: new columns are added automatically; dropped columns are kept and flagged.</li>
  <li><strong>Incremental syncs</strong> on a schedule you choose, down to every 60 minutes on Starter, every 15 minutes on Growth and every 5 minutes on Enterprise.</li>
  <li><strong>Activations (reverse ETL)</strong>: push modeled data, such as lead scores or churn risk, back into Salesforce, HubSpot and Zendesk.</li>
  <li><strong>Run history and retries</strong>: every sync is logged, failures retry automatically with exponential backoff.</li>
</ul>
<h2>Usage-based, predictable</h2>
<p>Each plan includes a monthly allowance of synced rows. Re-syncing a table you already loaded does not count twice.
Details are on the <a href="/pricing/">pricing page</a>.</p>
<h2>Popular sources</h2>
<p><a href="/integrations/salesforce/">Salesforce</a>, HubSpot, Stripe, Shopify, Google Ads, NetSuite, Zendesk, Postgres and MySQL.
Destinations include <a href="/integrations/snowflake/">Snowflake</a> and <a href="/integrations/bigquery/">BigQuery</a>.</p>
<p>Need more connectors than your plan includes? Add a <a href="/add-ons/#connector-packs">Connector Pack</a>.</p>
""",
    og_image="/assets/og/pipelines.png",
)

page(
    "product/transformations",
    "Transformations: SQL modeling with tests and lineage | Quillstone",
    "Build, test and document SQL models inside Quillstone. Compatible with dbt Core projects and Git-based workflows.",
    """
<h1>Transformations</h1>
<p class="lead">Raw tables are not answers. Transformations lets analysts turn them into trusted models without a separate orchestration stack.</p>
<h2>Highlights</h2>
<ul>
  <li>Write models in plain SQL with Jinja templating; existing <strong>dbt Core</strong> projects import as-is.</li>
  <li>Connect a GitHub, GitLab or Bitbucket repository; every change goes through a pull request.</li>
  <li>Built-in tests for uniqueness, not-null, accepted values and freshness.</li>
  <li>Column-level <strong>lineage graph</strong> from source connector to dashboard tile.</li>
  <li>Models run automatically after the pipelines they depend on finish, so there is no cron to maintain.</li>
</ul>
<h2>Who uses it</h2>
<p>Analytics engineers use the SQL editor and Git integration; analysts use the visual model builder for joins and
aggregations. Both write to the same catalog, so dashboards always point at the current definition of a metric.</p>
<h2>Migrating from dbt Cloud?</h2>
<p>Our onboarding team runs dbt migrations as part of the Accelerate package. See <a href="/services/">professional services</a>.</p>
""",
)

page(
    "product/dashboards",
    "Dashboards and embedded analytics | Quillstone",
    "Drag-and-drop dashboards, 30+ chart types, scheduled PDF and CSV reports, mobile apps and embedded analytics.",
    """
<h1>Dashboards</h1>
<p class="lead">Give every team a live view of the numbers they own &mdash; without filing a ticket with the data team.</p>
<h2>Build</h2>
<ul>
  <li>Drag-and-drop editor with more than 30 chart types, from bar charts to cohort grids and Sankey diagrams.</li>
  <li>Shared metric definitions, so "revenue" means the same thing on every dashboard.</li>
  <li>Filters, drill-downs and cross-filtering out of the box.</li>
</ul>
<h2>Share</h2>
<ul>
  <li>Schedule reports by email or Slack as PDF, PNG or CSV.</li>
  <li>View dashboards on the go with the Quillstone app for iOS and Android.</li>
  <li>Unlimited dashboards on every plan, and viewer seats are free.</li>
</ul>
<h2>Embed</h2>
<p>Embedded Analytics lets you put Quillstone dashboards inside your own product with signed URLs and row-level
security, so each of your customers only sees their own data. Embedded Analytics is available on Growth and Enterprise.</p>
<h2>History</h2>
<p>Dashboard snapshots and run history are kept for 13 months, so you can compare this quarter with the same quarter last year.</p>
""",
    og_image="/assets/og/dashboards.png",
)

page(
    "product/alerts",
    "Alerts: metric monitoring and anomaly detection | Quillstone",
    "Quillstone Alerts watches your metrics and pipelines and notifies Slack, Microsoft Teams, email or PagerDuty.",
    """
<h1>Alerts</h1>
<p class="lead">Find out that signups dropped before your CEO does.</p>
<h2>Two kinds of monitors</h2>
<ul>
  <li><strong>Threshold monitors</strong>: "tell me when daily orders fall below 500".</li>
  <li><strong>Anomaly monitors</strong>: Quillstone learns the seasonal pattern of a metric and flags unusual values, no thresholds to tune.</li>
</ul>
<h2>Pipeline health</h2>
<p>Get notified when a sync fails, a source schema changes or a table has not been refreshed on time.</p>
<h2>Where alerts go</h2>
<p>Slack, Microsoft Teams, email, PagerDuty and generic webhooks. Alerts can be muted during planned maintenance and grouped
to avoid notification storms.</p>
<p>Alerts are included on all plans. Starter workspaces can create up to 20 monitors; Growth and Enterprise are unlimited.</p>
""",
)

# --------------------------------------------------------------------------- pricing
page(
    "pricing",
    "Pricing and plans | Quillstone Analytics",
    "Compare Quillstone Starter, Growth and Enterprise plans. Save 20% with annual billing. 14-day free trial, no credit card.",
    """
<h1>Simple plans that grow with your data</h1>
<p class="lead">Every plan includes Pipelines, Transformations, Dashboards and Alerts. Pay monthly, or pay annually and save 20%.</p>
<p>Try any plan free for 14 days &mdash; no credit card required.</p>
<table class="pricing-table">
  <thead>
    <tr><th>Plan</th><th>Starter</th><th>Growth</th><th>Enterprise</th></tr>
  </thead>
  <tbody>
    <tr><td>Price, billed monthly</td><td>$399 / month</td><td>$1,250 / month</td><td>Custom</td></tr>
    <tr><td>Price, billed annually</td><td>$319 / month</td><td>$1,000 / month</td><td>Annual contract</td></tr>
    <tr><td>Users (editors and admins)</td><td>5</td><td>25</td><td>Unlimited</td></tr>
    <tr><td>Viewer seats</td><td>Free, unlimited</td><td>Free, unlimited</td><td>Free, unlimited</td></tr>
    <tr><td>Connectors</td><td>10</td><td>50</td><td>Unlimited</td></tr>
    <tr><td>Synced rows per month</td><td>20 million</td><td>250 million</td><td>Custom volume</td></tr>
    <tr><td>Additional rows</td><td>$12 per million</td><td>$9 per million</td><td>Negotiated</td></tr>
    <tr><td>Fastest sync frequency</td><td>Every 60 minutes</td><td>Every 15 minutes</td><td>Every 5 minutes</td></tr>
    <tr><td>Data retention</td><td>13 months</td><td>13 months</td><td>13 months, extendable to 36 months</td></tr>
    <tr><td>Data residency</td><td>US</td><td>US or EU</td><td>US or EU</td></tr>
    <tr><td>Embedded Analytics</td><td>&mdash;</td><td>Included</td><td>Included</td></tr>
    <tr><td>Single Sign-On (SSO)</td><td>&mdash;</td><td>Add-on, $300 / month</td><td>Included</td></tr>
    <tr><td>Audit Log</td><td>&mdash;</td><td>Add-on, $150 / month</td><td>Included</td></tr>
    <tr><td>Support</td><td>Email, first response within 2 business days</td><td>Email and chat, first response within 1 business day</td><td>Priority, first response within 4 business hours</td></tr>
    <tr><td>Uptime SLA</td><td>&mdash;</td><td>&mdash;</td><td>99.9%</td></tr>
  </tbody>
</table>
<p><a class="btn" href="https://app.quillstone.example/signup">Start free trial</a>
   <a class="btn btn-secondary" href="/contact/">Contact sales for Enterprise</a></p>
<h2>Add-ons</h2>
<p>Extend any plan with <a href="/add-ons/">add-ons</a>: Single Sign-On, Audit Log, Connector Packs and Premium Support.</p>
<h2>Pricing questions</h2>
<h3>What counts as a user?</h3>
<p>Anyone who can build or edit pipelines, models or dashboards. People who only view dashboards are free.</p>
<h3>What happens if I go over my row allowance?</h3>
<p>Syncs keep running. Extra rows are billed at the per-million rate for your plan at the end of the month, and we email you when you reach 80% of your allowance.</p>
<h3>Do you offer discounts?</h3>
<p>Registered nonprofits and accredited schools and universities get 30% off Starter and Growth. Contact sales to apply.</p>
<h3>Which currencies do you bill in?</h3>
<p>US dollars by default; customers of our Irish entity can be invoiced in euros.</p>
""",
    og_image="/assets/og/pricing.png",
)

# --------------------------------------------------------------------------- add-ons
page(
    "add-ons",
    "Add-ons: SSO, Audit Log, Connector Packs, Premium Support | Quillstone",
    "Extend your Quillstone plan with Single Sign-On, Audit Log, extra Connector Packs and Premium Support.",
    """
<h1>Add-ons</h1>
<p class="lead">Start with the plan that fits today and bolt on what your security team, IT team or growing pipeline count needs.</p>

<section id="sso">
<h2>Single Sign-On (SSO)</h2>
<p>Let people sign in with your identity provider instead of a separate Quillstone password.</p>
<ul>
  <li>SAML 2.0 and OpenID Connect (OIDC)</li>
  <li>Tested with Okta, Microsoft Entra ID (Azure AD), Google Workspace and OneLogin</li>
  <li>SCIM 2.0 user provisioning and de-provisioning</li>
  <li>Enforce SSO for all members, with an emergency break-glass admin account</li>
</ul>
<p><strong>Price:</strong> $300 per month on Growth. Included in Enterprise. Not available on Starter.</p>
</section>

<section id="audit-log">
<h2>Audit Log</h2>
<p>A tamper-evident record of who did what, and when.</p>
<ul>
  <li>Logs sign-ins, permission changes, pipeline and model edits, dashboard shares and API key use</li>
  <li>Search and filter in the app, export as CSV, or stream to Splunk or Datadog</li>
  <li>Audit events are kept for 400 days</li>
</ul>
<p><strong>Price:</strong> $150 per month on Growth. Included in Enterprise.</p>
</section>

<section id="connector-packs">
<h2>Connector Packs</h2>
<p>Need more sources than your plan includes? Each Connector Pack adds 10 connectors to your workspace.</p>
<p><strong>Price:</strong> $250 per month per pack, available on Starter and Growth. Enterprise already includes unlimited connectors.</p>
</section>

<section id="premium-support">
<h2>Premium Support</h2>
<p>For teams whose dashboards run the business around the clock.</p>
<ul>
  <li>24/7 coverage for priority 1 (production down) incidents</li>
  <li>45-minute first-response target for priority 1 incidents</li>
  <li>A named Technical Account Manager and quarterly health checks</li>
  <li>Private Slack channel with our support engineers</li>
</ul>
<p><strong>Price:</strong> 18% of your annual subscription, with a minimum of $7,500 per year. Available on Growth and Enterprise.</p>
</section>

<p>To add or remove an add-on, workspace admins can go to <em>Settings &rarr; Billing &rarr; Add-ons</em>, or <a href="/contact/">contact sales</a>.</p>
""",
    og_image="/assets/og/add-ons.png",
)

# --------------------------------------------------------------------------- integrations
page(
    "integrations",
    "Integrations and connectors | Quillstone Analytics",
    "Quillstone connects to 140+ data sources and destinations: Snowflake, BigQuery, Redshift, Salesforce, HubSpot, Postgres and more.",
    """
<h1>Integrations</h1>
<p class="lead">140+ connectors, maintained by our Connectors team so you don't have to chase API changes.</p>
<h2>Warehouses and lakes (destinations)</h2>
<ul>
  <li><a href="/integrations/snowflake/">Snowflake</a></li>
  <li><a href="/integrations/bigquery/">Google BigQuery</a></li>
  <li>Amazon Redshift</li>
  <li>Databricks (Delta Lake)</li>
  <li>Postgres (also available as a source)</li>
</ul>
<h2>CRM and marketing</h2>
<ul>
  <li><a href="/integrations/salesforce/">Salesforce</a></li>
  <li>HubSpot &mdash; contacts, companies, deals, marketing emails; also an Activations destination</li>
  <li>Marketo, Google Ads, LinkedIn Ads, Meta Ads</li>
</ul>
<h2>Databases</h2>
<ul>
  <li>Postgres, MySQL and SQL Server with change data capture</li>
  <li>MongoDB, Oracle, MariaDB</li>
</ul>
<h2>Finance, commerce and support</h2>
<ul>
  <li>Stripe, Shopify, NetSuite, QuickBooks Online, Xero</li>
  <li>Zendesk, Intercom, Jira</li>
</ul>
<h2>Files and events</h2>
<ul>
  <li>Amazon S3, Google Cloud Storage, SFTP, Google Sheets</li>
  <li>Segment and webhooks</li>
</ul>
<h2>Don't see your tool?</h2>
<p>Use the REST API connector builder, or tell us what you need &mdash; customers vote on our public connector roadmap.
Technology vendors can build and list a connector through our <a href="/partners/">partner program</a>.</p>
""",
    og_image="/assets/og/integrations.png",
)

page(
    "integrations/snowflake",
    "Snowflake integration | Quillstone",
    "Load data into Snowflake with Quillstone Pipelines and query it with Quillstone Dashboards. Key-pair auth, Snowpipe Streaming and cost controls.",
    """
<h1>Quillstone + Snowflake</h1>
<p class="lead">Snowflake is our most popular destination. Quillstone loads data into Snowflake, runs your models there and
queries it live from dashboards &mdash; your data never leaves your account.</p>
<h2>Capabilities</h2>
<ul>
  <li>Destination for all 140+ Quillstone sources</li>
  <li>Source for Activations (reverse ETL) and for dashboards</li>
  <li>Key-pair authentication and Snowflake network policies</li>
  <li>Snowpipe Streaming for low-latency loads on Enterprise plans</li>
  <li>Works with Snowflake accounts on AWS, Azure and Google Cloud, in any region</li>
</ul>
<h2>Keep credits in check</h2>
<p>Quillstone batches loads and lets you pick a dedicated virtual warehouse for syncs so load jobs don't compete with
analyst queries. Read <a href="/blog/snowflake-cost-control/">five ways to keep your Snowflake bill in check</a>.</p>
<h2>Set it up</h2>
<p>Step-by-step instructions are in the Help Center: <a href="/help/connect-snowflake/">How to connect Snowflake</a>.</p>
""",
    og_image="/assets/og/snowflake.png",
)

page(
    "integrations/bigquery",
    "Google BigQuery integration | Quillstone",
    "Use Google BigQuery as your Quillstone destination. Service-account auth, partitioned tables, US and EU multi-regions.",
    """
<h1>Quillstone + Google BigQuery</h1>
<p class="lead">Pair Quillstone with BigQuery for a serverless stack that scales without a cluster to manage.</p>
<h2>How it works</h2>
<ul>
  <li>Authenticate with a Google Cloud service account that has the BigQuery Data Editor and BigQuery Job User roles.</li>
  <li>Quillstone writes to date-partitioned tables by default, which keeps scan costs low.</li>
  <li>Datasets can live in the US or EU multi-region, or in any single region.</li>
  <li>Google Ads, Google Analytics 4 and Google Sheets sources load into BigQuery with ready-made models.</li>
</ul>
<h2>Good to know</h2>
<p>Quillstone's own EU-hosted workspaces can write to BigQuery datasets in the EU multi-region so that data stays in Europe end to end.</p>
<p>Customer example: <a href="/customers/tidewater-outfitters/">Tidewater Outfitters</a> runs its marketing attribution on Quillstone and BigQuery.</p>
""",
)

page(
    "integrations/salesforce",
    "Salesforce integration | Quillstone",
    "Sync Salesforce objects into your warehouse and push modeled data back into Salesforce with Quillstone Activations.",
    """
<h1>Quillstone + Salesforce</h1>
<p class="lead">Get a complete, current copy of your Salesforce data in the warehouse &mdash; and send insights back to your reps.</p>
<h2>As a source</h2>
<ul>
  <li>Standard and custom objects, including formula fields and history tracking tables</li>
  <li>Uses the Salesforce Bulk API 2.0 for large objects to save API calls</li>
  <li>Connects with OAuth; a read-only integration user is recommended</li>
  <li>Deleted records are captured so your warehouse stays in sync</li>
</ul>
<h2>As an Activations destination</h2>
<p>Write lead scores, product usage and churn-risk fields back to Leads, Contacts, Accounts or custom objects on a schedule.</p>
<h2>API limits</h2>
<p>Syncs count against your Salesforce org's daily API request allocation. You can cap Quillstone's share of the limit in the connector settings.</p>
<p>Also popular with Salesforce: HubSpot, Marketo and Outreach. See <a href="/integrations/">all integrations</a>.</p>
""",
)

# --------------------------------------------------------------------------- security
page(
    "security",
    "Security and compliance | Quillstone Analytics",
    "SOC 2 Type II, GDPR, US and EU data residency, encryption in transit and at rest. How Quillstone protects your data.",
    """
<h1>Security at Quillstone</h1>
<p class="lead">Your data runs your business. Protecting it is the first thing we design for, not the last.</p>
<h2>Compliance</h2>
<ul>
  <li><strong>SOC 2 Type II</strong> &mdash; audited every year by an independent CPA firm against the Security, Availability and Confidentiality criteria.
      Customers and prospects can request the latest report under NDA from our Trust Center.</li>
  <li><strong>GDPR</strong> &mdash; we act as a processor for customer data and sign a <a href="/legal/dpa/">Data Processing Addendum</a> that includes the EU Standard Contractual Clauses.</li>
  <li><strong>HIPAA</strong> &mdash; we sign Business Associate Agreements with Enterprise customers.</li>
  <li><strong>ISO/IEC 27001</strong> &mdash; certification is in progress.</li>
</ul>
<h2>Data residency</h2>
<p>Choose where your workspace lives when you create it:</p>
<ul>
  <li><strong>United States</strong> &mdash; AWS us-east-2 (Ohio)</li>
  <li><strong>European Union</strong> &mdash; AWS eu-central-1 (Frankfurt), available on Growth and Enterprise</li>
</ul>
<p>Workspace metadata, logs and cached query results stay in the region you choose.</p>
<h2>Protecting data</h2>
<ul>
  <li>Encryption in transit with TLS 1.2 or higher, and at rest with AES-256</li>
  <li>Single Sign-On, SCIM and enforced multi-factor authentication</li>
  <li>Role-based access control down to the dashboard and model level</li>
  <li>Independent penetration tests every year</li>
</ul>
<h2>Trust Center</h2>
<p>Our Trust Center at trust.quillstone.example lists our subprocessors and policies, and is where you can request the SOC 2 report.
For a deeper technical description of our architecture, ask for the <strong>Quillstone Security Whitepaper</strong>.</p>
<h2>Report a vulnerability</h2>
<p>Found a security issue? Email security@quillstone.example. We run a private bug bounty program and respond to every report.</p>
""",
    og_image="/assets/og/security.png",
)

# --------------------------------------------------------------------------- customers
page(
    "customers",
    "Customer stories | Quillstone Analytics",
    "How logistics, healthcare, retail and energy companies use Quillstone to unify data and run on live dashboards.",
    """
<h1>Customer stories</h1>
<p class="lead">More than 1,400 companies, from 20-person startups to public companies, run their reporting on Quillstone.</p>
<div class="story-grid">
  <article>
    <h2><a href="/customers/bramblewood-health/">Bramblewood Health</a></h2>
    <p>Healthcare &middot; Ohio. A network of outpatient clinics uses Quillstone to track appointment no-shows and staffing in near real time.</p>
  </article>
  <article>
    <h2><a href="/customers/tidewater-outfitters/">Tidewater Outfitters</a></h2>
    <p>Retail and e-commerce &middot; Oregon. Marketing attribution across Shopify, Google Ads and Meta, powered by BigQuery.</p>
  </article>
  <article>
    <h2><a href="/customers/kestrel-energy/">Kestrel Energy</a></h2>
    <p>Renewable energy &middot; Ireland. Wind-farm telemetry monitored with Quillstone Alerts, hosted in our EU region.</p>
  </article>
  <article>
    <h2>Northwind Logistics</h2>
    <p>Freight and logistics &middot; Illinois. How a third-party logistics provider with 22 warehouses unified its reporting.
    Ask our assistant or your account executive for the full case study, <strong>Case Study: Northwind Logistics</strong>.</p>
  </article>
</div>
<h2>By industry</h2>
<ul>
  <li>Logistics and supply chain</li>
  <li>Healthcare and life sciences</li>
  <li>Retail and consumer brands</li>
  <li>Energy and utilities</li>
  <li>Financial services and insurance</li>
</ul>
""",
    og_image="/assets/og/customers.png",
)

page(
    "customers/bramblewood-health",
    "Bramblewood Health cuts appointment no-shows with Quillstone",
    "Bramblewood Health, an Ohio network of 14 outpatient clinics, uses Quillstone to monitor no-shows and staffing.",
    """
<h1>Bramblewood Health: fewer empty appointment slots, better-staffed clinics</h1>
<p class="meta">Industry: Healthcare &middot; Headquarters: Columbus, Ohio &middot; Plan: Enterprise</p>
<h2>The challenge</h2>
<p>Bramblewood Health runs 14 outpatient clinics across central Ohio. Scheduling data lived in its EHR, staffing in a
workforce-management tool and patient feedback in surveys. Managers saw last month's numbers in a spreadsheet that took
an analyst three days to assemble.</p>
<h2>The solution</h2>
<ul>
  <li>Quillstone Pipelines loads scheduling, staffing and survey data into Snowflake every 5 minutes.</li>
  <li>A shared no-show model flags patients likely to miss appointments so clinics can send reminders.</li>
  <li>Clinic managers use dashboards on the Quillstone mobile app during morning huddles.</li>
  <li>Bramblewood signed a HIPAA Business Associate Agreement as part of its Enterprise contract.</li>
</ul>
<h2>The results</h2>
<ul>
  <li>Appointment no-shows down 11% in the first six months</li>
  <li>Monthly reporting replaced by live dashboards used by 180 managers</li>
  <li>Overtime costs reduced by 7% through better shift planning</li>
</ul>
<blockquote>"Our clinic managers finally look at the same numbers as finance." &mdash; VP of Operations, Bramblewood Health</blockquote>
<p><a href="/customers/">More customer stories</a></p>
""",
    og_image="/assets/og/bramblewood.png",
)

page(
    "customers/tidewater-outfitters",
    "Tidewater Outfitters: marketing attribution on Quillstone and BigQuery",
    "Outdoor retailer Tidewater Outfitters replaced Airflow scripts and two BI tools with Quillstone.",
    """
<h1>Tidewater Outfitters knows which ad dollar sold which tent</h1>
<p class="meta">Industry: Retail &amp; e-commerce &middot; Headquarters: Portland, Oregon &middot; Plan: Growth</p>
<h2>Background</h2>
<p>Tidewater Outfitters sells outdoor gear online and in 9 stores. Its four-person data team maintained a homegrown
Airflow setup and two separate BI tools. Every Monday, two analysts spent most of the day stitching together ad spend and orders.</p>
<h2>What they built</h2>
<ul>
  <li>Shopify, Google Ads, Meta Ads and Klaviyo data synced into Google BigQuery every 15 minutes</li>
  <li>A multi-touch attribution model written in Quillstone Transformations</li>
  <li>Anomaly alerts on return-on-ad-spend posted to the marketing Slack channel</li>
</ul>
<h2>Impact</h2>
<ul>
  <li>Weekly reporting prep cut from two days to two hours</li>
  <li>Return on ad spend up 18% after reallocating budget to the best channels</li>
  <li>Three tools consolidated into one contract</li>
</ul>
<blockquote>"We replaced a homegrown Airflow setup and two BI tools in one quarter." &mdash; Head of Data, Tidewater Outfitters</blockquote>
""",
)

page(
    "customers/kestrel-energy",
    "Kestrel Energy monitors wind farms with Quillstone Alerts",
    "Irish renewable energy operator Kestrel Energy uses Quillstone in the EU region to monitor turbine telemetry.",
    """
<h1>Kestrel Energy: catching turbine faults before they cost a day of generation</h1>
<p class="meta">Industry: Energy &amp; utilities &middot; Headquarters: Cork, Ireland &middot; Plan: Enterprise, EU data residency</p>
<h2>The situation</h2>
<p>Kestrel Energy operates 11 onshore wind farms in Ireland and Scotland. Turbine telemetry landed in a Postgres database,
maintenance tickets in Jira, and market prices in spreadsheets.</p>
<h2>What changed</h2>
<ul>
  <li>Quillstone Private Agent runs inside Kestrel's own network and streams Postgres changes to Databricks with change data capture.</li>
  <li>Anomaly monitors on vibration and output per turbine notify the on-call engineer through PagerDuty.</li>
  <li>All data, metadata and logs stay in the EU (Frankfurt) region to meet Kestrel's data-residency policy.</li>
</ul>
<h2>Results</h2>
<ul>
  <li>Unplanned turbine downtime reduced by 23%</li>
  <li>Mean time to detect a fault down from 9 hours to 40 minutes</li>
</ul>
<blockquote>"Residency in Frankfurt was a must-have for our board. Quillstone ticked it on day one." &mdash; CIO, Kestrel Energy</blockquote>
""",
)

# --------------------------------------------------------------------------- partners & services
page(
    "partners",
    "Partner program | Quillstone Analytics",
    "Join the Quillstone partner program as a referral, solutions or technology partner. Commissions, resale margin and co-marketing.",
    """
<h1>Grow with the Quillstone Partner Program</h1>
<p class="lead">Consultancies, resellers and software vendors work with us to deliver modern analytics to their clients.</p>
<h2>Partner types</h2>
<h3>Referral partners</h3>
<p>Introduce a customer and earn 10% of their first-year subscription. No certification required.</p>
<h3>Solutions partners</h3>
<p>Implement and resell Quillstone. Solutions partners receive a 20% margin on resale, access to a partner sandbox workspace
and listing in our partner directory. At least two consultants must complete the Quillstone Certified Implementer exam.</p>
<h3>Technology partners</h3>
<p>Build a connector or an integration with Quillstone and get listed on our <a href="/integrations/">integrations page</a>, with joint webinars and co-marketing.</p>
<h2>Benefits for every partner</h2>
<ul>
  <li>Deal registration that protects your opportunity for 120 days</li>
  <li>Free not-for-resale workspace for demos and training</li>
  <li>Quarterly partner enablement sessions</li>
  <li>A dedicated partner manager</li>
</ul>
<h2>How to apply</h2>
<p>Fill in the application form in our partner portal or email partners@quillstone.example. We review applications within 10 business days.</p>
""",
    og_image="/assets/og/partners.png",
)

page(
    "services",
    "Professional services and onboarding | Quillstone",
    "Quillstone onboarding packages, dbt migrations, training and health checks delivered by our professional services team.",
    """
<h1>Professional services</h1>
<p class="lead">Get to value faster with the people who build Quillstone. Our onboarding consultants are based in Denver, Austin and Dublin.</p>
<h2>Onboarding packages</h2>
<table>
  <thead><tr><th>Package</th><th>Duration</th><th>Scope</th><th>Price</th></tr></thead>
  <tbody>
    <tr><td>QuickStart</td><td>3 weeks</td><td>Up to 5 connectors, 3 dashboards, admin setup</td><td>$4,500 fixed fee</td></tr>
    <tr><td>Accelerate</td><td>6 weeks</td><td>Up to 20 connectors, dbt migration, data model design, admin and analyst training</td><td>$12,000 fixed fee</td></tr>
    <tr><td>Enterprise Onboarding</td><td>Scoped to your project</td><td>Private Agent deployment, SSO, security review, migration of legacy reports</td><td>Custom quote</td></tr>
  </tbody>
</table>
<h2>Training</h2>
<ul>
  <li><strong>Quillstone Academy</strong>: free self-paced online courses for admins, analysts and dashboard builders.</li>
  <li><strong>Instructor-led workshops</strong>: live, remote half-day sessions at $900 per attendee.</li>
  <li><strong>Certification</strong>: the Quillstone Certified Implementer exam for consultants and partners.</li>
</ul>
<h2>Health checks</h2>
<p>Already live? A two-day health check reviews your pipelines, models and dashboard performance and ends with a prioritized list of recommendations.
Health checks are included quarterly with <a href="/add-ons/#premium-support">Premium Support</a>.</p>
<p><a class="btn" href="/contact/">Talk to us about onboarding</a></p>
""",
)

# --------------------------------------------------------------------------- blog
page(
    "blog",
    "Blog | Quillstone Analytics",
    "Product news, data engineering guides and analytics tips from the Quillstone team.",
    """
<h1>The Quillstone blog</h1>
<p class="lead">Product news, practical guides and opinions from our data, engineering and customer teams.</p>
<article class="post-teaser">
  <h2><a href="/blog/announcing-eu-data-residency/">EU data residency is now generally available</a></h2>
  <p class="meta">Product news &middot; November 4, 2025 &middot; 4 min read</p>
  <p>Workspaces can now be hosted entirely in our Frankfurt region. Here's what that means for GDPR and how to move an existing workspace.</p>
</article>
<article class="post-teaser">
  <h2><a href="/blog/snowflake-cost-control/">Five ways to keep your Snowflake bill in check</a></h2>
  <p class="meta">Guides &middot; January 20, 2026 &middot; 7 min read</p>
  <p>Warehouse sizing, auto-suspend and sync batching: practical settings that cut load costs without slowing dashboards.</p>
</article>
<article class="post-teaser">
  <h2><a href="/blog/reverse-etl-explained/">Reverse ETL, explained without the buzzwords</a></h2>
  <p class="meta">Concepts &middot; February 10, 2026 &middot; 6 min read</p>
  <p>Your warehouse knows which customers are about to churn. Reverse ETL is how your sales team finds out too.</p>
</article>
<p>Subscribe to the monthly newsletter at the bottom of any post.</p>
""",
)

page(
    "blog/announcing-eu-data-residency",
    "EU data residency is now generally available | Quillstone Blog",
    "Quillstone workspaces can now be hosted entirely in the EU (Frankfurt). What it covers and how to migrate.",
    """
<article>
<h1>EU data residency is now generally available</h1>
<p class="meta">By the Quillstone Product Team &middot; November 4, 2025</p>
<p>Starting today, any new Quillstone workspace on the Growth or Enterprise plan can be created in our European Union region,
hosted on AWS eu-central-1 in Frankfurt, Germany.</p>
<h2>What stays in the EU</h2>
<ul>
  <li>Workspace metadata, pipeline configuration and credentials</li>
  <li>Sync logs, dashboard snapshots and cached query results</li>
  <li>Audit log events</li>
</ul>
<p>Pipelines running in the EU region are executed by EU-based workers, so data in transit between your sources and your
warehouse is processed in Europe as well.</p>
<h2>Moving an existing workspace</h2>
<p>Existing workspaces hosted in the US can be migrated to the EU region at no extra charge. Migrations are scheduled with our
support team and usually take one maintenance window. Open a ticket from the Help Center to start.</p>
<h2>Pricing</h2>
<p>There is no surcharge for EU hosting. EU residency is available on Growth and Enterprise; Starter workspaces are hosted in the US.</p>
<p>Questions about GDPR? Our <a href="/security/">security page</a> and <a href="/legal/dpa/">Data Processing Addendum</a> have the details.</p>
</article>
""",
    og_image="/assets/og/blog-eu-residency.png",
)

page(
    "blog/snowflake-cost-control",
    "Five ways to keep your Snowflake bill in check | Quillstone Blog",
    "Practical Snowflake settings for Quillstone users: warehouse sizing, auto-suspend, batching and monitoring.",
    """
<article>
<h1>Five ways to keep your Snowflake bill in check</h1>
<p class="meta">By Quillstone Solutions Engineering &middot; January 20, 2026</p>
<p>Loading data is rarely what makes a Snowflake bill explode &mdash; idle warehouses and oversized clusters are. Here's what we recommend to customers.</p>
<h2>1. Give Quillstone its own warehouse</h2>
<p>Create a dedicated warehouse for loads. An X-Small warehouse handles most sync workloads.</p>
<h2>2. Set auto-suspend to 60 seconds</h2>
<p>Snowflake bills per second after the first minute. A loading warehouse does not need to stay warm between syncs.</p>
<h2>3. Batch your syncs</h2>
<p>Scheduling related connectors on the same cadence lets Quillstone group loads into fewer warehouse sessions.</p>
<h2>4. Don't sync what you don't use</h2>
<p>Deselect unused tables and columns in the connector schema view. Fewer rows also means less of your monthly row allowance is used.</p>
<h2>5. Watch credit usage</h2>
<p>Install the free "Snowflake Cost Monitor" dashboard template from the template gallery to see credits by warehouse and by day.</p>
<p>Setting up for the first time? Follow <a href="/help/connect-snowflake/">How to connect Snowflake</a>.</p>
</article>
""",
)

page(
    "blog/reverse-etl-explained",
    "Reverse ETL, explained without the buzzwords | Quillstone Blog",
    "What reverse ETL is, why sales and support teams care, and how Quillstone Activations works.",
    """
<article>
<h1>Reverse ETL, explained without the buzzwords</h1>
<p class="meta">By the Quillstone Data Team &middot; February 10, 2026</p>
<p>ETL moves data from your business apps into the warehouse. Reverse ETL moves the useful results back out, into the tools people work in every day.</p>
<h2>An example</h2>
<p>Your data team builds a churn-risk score in the warehouse. Without reverse ETL, it sits on a dashboard few salespeople open.
With reverse ETL, the score appears as a field on every Account in Salesforce, and the account manager sees it before the renewal call.</p>
<h2>How Quillstone does it</h2>
<p>In Quillstone this feature is called <strong>Activations</strong>. You pick a model, map its columns to fields in the destination,
and choose a schedule. Quillstone only sends rows that changed since the last run.</p>
<p>Supported Activation destinations today: Salesforce, HubSpot, Zendesk, Marketo and Google Ads customer match.</p>
<h2>When not to use it</h2>
<p>Reverse ETL is not a replacement for real-time event streaming. If you need sub-second updates, use webhooks or an event bus.</p>
</article>
""",
)

# --------------------------------------------------------------------------- events
page(
    "events",
    "Webinars and events | Quillstone Analytics",
    "Live webinars, on-demand sessions and the Quillstone Summit 2026 in Denver. Register for upcoming events.",
    """
<h1>Webinars &amp; events</h1>
<h2>Upcoming live webinars</h2>
<ul>
  <li><strong>From Spreadsheet Chaos to a Single Source of Truth</strong> &mdash; March 12, 2026, 11:00 a.m. MT. A 45-minute walkthrough for finance and ops teams.</li>
  <li><strong>Building Board-Ready Dashboards in an Afternoon</strong> &mdash; April 9, 2026, 4:00 p.m. GMT (from our Dublin office).</li>
  <li><strong>Office hours: Connector Q&amp;A</strong> &mdash; every first Tuesday of the month, 10:00 a.m. MT.</li>
</ul>
<p>All webinars are free. Recordings are emailed to everyone who registers.</p>
<h2>On-demand library</h2>
<ul>
  <li>Getting started with Quillstone Pipelines (32 min)</li>
  <li>Modeling SaaS revenue metrics with Transformations (41 min)</li>
  <li>Embedded Analytics for product teams (28 min)</li>
</ul>
<h2>Quillstone Summit 2026</h2>
<p>Our annual user conference returns to Denver on September 15&ndash;16, 2026. Two days of product keynotes, customer sessions and hands-on labs.
Early-bird tickets cost $299 until June 30, 2026; regular tickets are $449. Customers on Enterprise plans get two free passes.</p>
<h2>Meet us on the road</h2>
<ul>
  <li>DataOps Europe, Dublin &mdash; May 20&ndash;21, 2026</li>
  <li>Rocky Mountain Data Forum, Boulder &mdash; July 8, 2026</li>
</ul>
<p>Interested in speaking or sponsoring? Email events@quillstone.example.</p>
""",
    og_image="/assets/og/summit-2026.png",
)

# --------------------------------------------------------------------------- help
page(
    "help",
    "Help Center | Quillstone",
    "Guides, how-tos and troubleshooting for Quillstone. Account, connectors, dashboards and billing help.",
    """
<h1>How can we help?</h1>
<p>Search our guides or browse by topic. Can't find what you need? Open a ticket from inside the app or email support@quillstone.example.</p>
<h2>Popular articles</h2>
<ul>
  <li><a href="/help/reset-password/">Reset your password</a></li>
  <li><a href="/help/invite-teammates/">Invite teammates and manage roles</a></li>
  <li><a href="/help/connect-snowflake/">How to connect Snowflake</a></li>
</ul>
<h2>Browse by topic</h2>
<ul>
  <li>Account and sign-in</li>
  <li>Connectors and pipelines</li>
  <li>Transformations and models</li>
  <li>Dashboards and sharing</li>
  <li>Billing and plans</li>
  <li>API and developer tools</li>
</ul>
<h2>Support hours</h2>
<p>Our support team answers tickets Monday to Friday, 8:00 a.m. to 6:00 p.m. Mountain Time from Denver and Austin, and
9:00 a.m. to 5:30 p.m. Irish time from Dublin. Premium Support customers get 24/7 coverage for priority 1 incidents.</p>
<p>Is something down? Check the <a href="/status/">status page</a> first.</p>
""",
)

page(
    "help/reset-password",
    "Reset your password | Quillstone Help Center",
    "How to reset a forgotten Quillstone password, what to do if the reset email does not arrive, and SSO accounts.",
    """
<article>
<h1>Reset your password</h1>
<p class="meta">Account and sign-in &middot; Updated January 2026</p>
<h2>Steps</h2>
<ol>
  <li>Go to app.quillstone.example/login and click <strong>Forgot password?</strong></li>
  <li>Enter the email address you use for Quillstone and click <strong>Send reset link</strong>.</li>
  <li>Open the email from no-reply@quillstone.example and click the link. The link is valid for 30 minutes and can be used once.</li>
  <li>Choose a new password with at least 12 characters. You can't reuse any of your last 5 passwords.</li>
</ol>
<h2>Didn't get the email?</h2>
<ul>
  <li>Check your spam or quarantine folder.</li>
  <li>Make sure you typed the address you were invited with.</li>
  <li>If your company uses Single Sign-On, you don't have a Quillstone password: reset it with your identity provider (for example Okta or Microsoft Entra ID).</li>
</ul>
<h2>Locked out?</h2>
<p>After 5 failed sign-in attempts your account is locked for 20 minutes. A workspace admin can unlock it earlier from <em>Settings &rarr; Members</em>.</p>
</article>
""",
)

page(
    "help/invite-teammates",
    "Invite teammates and manage roles | Quillstone Help Center",
    "Invite people to your Quillstone workspace, choose Admin, Editor or Viewer roles, and resend or revoke invitations.",
    """
<article>
<h1>Invite teammates and manage roles</h1>
<p class="meta">Account and sign-in &middot; Updated February 2026</p>
<h2>Invite someone</h2>
<ol>
  <li>Open <strong>Settings &rarr; Members</strong>. Only Admins can invite people.</li>
  <li>Click <strong>Invite members</strong> and enter one or more email addresses, separated by commas.</li>
  <li>Pick a role and click <strong>Send invitations</strong>.</li>
</ol>
<p>Invitations expire after 7 days. You can resend or revoke a pending invitation from the same page.</p>
<h2>Roles</h2>
<table>
  <thead><tr><th>Role</th><th>Can do</th><th>Counts toward user limit?</th></tr></thead>
  <tbody>
    <tr><td>Admin</td><td>Everything, including billing, SSO and member management</td><td>Yes</td></tr>
    <tr><td>Editor</td><td>Create and edit pipelines, models, dashboards and alerts</td><td>Yes</td></tr>
    <tr><td>Viewer</td><td>View and filter dashboards, subscribe to reports</td><td>No &mdash; Viewer seats are free</td></tr>
  </tbody>
</table>
<h2>Reached your user limit?</h2>
<p>Starter includes 5 users and Growth 25. Change an existing member to Viewer, or upgrade your plan from <em>Settings &rarr; Billing</em>.</p>
<h2>Using SSO?</h2>
<p>With SCIM provisioning turned on, people are added and removed automatically from your identity provider and manual invitations are disabled.</p>
</article>
""",
)

page(
    "help/connect-snowflake",
    "How to connect Snowflake | Quillstone Help Center",
    "Step-by-step: create a Snowflake user, role and warehouse for Quillstone, set up key-pair authentication and allowlist Quillstone IPs.",
    """
<article>
<h1>How to connect Snowflake</h1>
<p class="meta">Connectors and pipelines &middot; Updated January 2026</p>
<p>Quillstone connects to Snowflake with key-pair authentication. Password authentication is not supported for new connections.</p>
<h2>Before you start</h2>
<ul>
  <li>You need a Snowflake user with the SECURITYADMIN role (or equivalent) to run the setup script.</li>
  <li>You need the Editor or Admin role in Quillstone.</li>
</ul>
<h2>1. Create a role, user and warehouse</h2>
<p>Run the setup script from <em>Connectors &rarr; Add destination &rarr; Snowflake</em>. It creates the role QUILLSTONE_ROLE,
the user QUILLSTONE_USER and an X-Small warehouse QUILLSTONE_WH with auto-suspend set to 60 seconds, and grants the role access
to a database of your choice.</p>
<h2>2. Add the public key</h2>
<p>Quillstone generates a key pair for you. Copy the public key shown in the app and run
<code>ALTER USER QUILLSTONE_USER SET RSA_PUBLIC_KEY='...';</code> in Snowflake.</p>
<h2>3. Allow Quillstone's IP addresses</h2>
<p>If your account uses network policies, allow the addresses for your Quillstone region:</p>
<ul>
  <li>US region: 52.14.88.10 and 52.14.88.11</li>
  <li>EU region: 3.120.44.20 and 3.120.44.21</li>
</ul>
<h2>4. Test and save</h2>
<p>Enter your account identifier (for example <code>xy12345.us-east-2.aws</code>), the database name and the warehouse, then click <strong>Test connection</strong>.</p>
<h2>Troubleshooting</h2>
<ul>
  <li><strong>JWT token is invalid</strong>: the public key was not set on QUILLSTONE_USER, or it was set on a different user.</li>
  <li><strong>Warehouse does not exist or not authorized</strong>: grant USAGE on QUILLSTONE_WH to QUILLSTONE_ROLE.</li>
</ul>
</article>
""",
)

# --------------------------------------------------------------------------- status, careers, about, contact
page(
    "status",
    "System status | Quillstone",
    "Current status of Quillstone services, uptime history, maintenance windows and how to subscribe to incident updates.",
    """
<h1>System status</h1>
<p class="lead">Live component status and incident history are published at <strong>status.quillstone.example</strong>.</p>
<h2>Components we report on</h2>
<ul>
  <li>Web app and API</li>
  <li>Pipelines &mdash; US region</li>
  <li>Pipelines &mdash; EU region</li>
  <li>Dashboards and scheduled reports</li>
  <li>Alerts and notifications</li>
</ul>
<h2>Scheduled maintenance</h2>
<p>Planned maintenance happens on Sundays between 02:00 and 04:00 UTC and is announced at least 5 days ahead. Most maintenance causes no downtime.</p>
<h2>Get notified</h2>
<p>Subscribe to incident updates by email, SMS, Slack or RSS from the status site. Enterprise customers also receive incident reports for any outage that affects them.</p>
<h2>Uptime commitment</h2>
<p>Enterprise plans include a 99.9% monthly uptime SLA with service credits. See <a href="/pricing/">pricing</a>.</p>
""",
)

page(
    "careers",
    "Careers at Quillstone | Join our team",
    "Work at Quillstone in Denver, Austin, Dublin or remotely. Open roles in engineering, sales, design and customer success.",
    """
<h1>Build the data platform people actually enjoy using</h1>
<p class="lead">We're about 260 people across Denver, Austin, Dublin and remote locations in the US and Ireland.</p>
<h2>Open roles</h2>
<table>
  <thead><tr><th>Role</th><th>Team</th><th>Location</th></tr></thead>
  <tbody>
    <tr><td>Senior Backend Engineer, Pipelines</td><td>Engineering</td><td>Denver or remote (US)</td></tr>
    <tr><td>Data Engineer, Connectors</td><td>Engineering</td><td>Dublin</td></tr>
    <tr><td>Product Designer</td><td>Design</td><td>Remote (US)</td></tr>
    <tr><td>Solutions Engineer</td><td>Sales</td><td>Austin</td></tr>
    <tr><td>Account Executive, EMEA</td><td>Sales</td><td>Dublin</td></tr>
    <tr><td>Customer Support Engineer</td><td>Customer Success</td><td>Denver</td></tr>
  </tbody>
</table>
<h2>Benefits</h2>
<ul>
  <li>Medical, dental and vision cover (US) and private health insurance (Ireland)</li>
  <li>25 days of paid time off plus public holidays</li>
  <li>$1,500 yearly learning budget</li>
  <li>16 weeks of paid parental leave</li>
  <li>Home-office stipend for remote employees</li>
</ul>
<h2>Our hiring process</h2>
<ol>
  <li>30-minute intro call with a recruiter</li>
  <li>Conversation with the hiring manager</li>
  <li>Practical exercise, paid for take-home assignments</li>
  <li>Final interviews with the team</li>
</ol>
<p>We aim to make a decision within three weeks of your first call. Don't see the right role? Send your CV to careers@quillstone.example.</p>
""",
    og_image="/assets/og/careers.png",
)

page(
    "about",
    "About Quillstone Analytics",
    "Quillstone Analytics was founded in Denver in 2016. Meet our leadership, values, offices and investors.",
    """
<h1>About Quillstone</h1>
<p class="lead">We started Quillstone in 2016 because we were tired of spending more time moving data than learning from it.</p>
<h2>Our story</h2>
<p>Quillstone Analytics was founded in Denver, Colorado by two former data engineers. The first version was a single connector
that copied Salesforce into Postgres. Today more than 1,400 companies use Quillstone to move, model and visualize their data.</p>
<p>We opened our Austin office in 2019 and our European headquarters in Dublin in 2021. In 2024 we raised an $85 million Series C.</p>
<h2>Leadership</h2>
<ul>
  <li>Maya Lindqvist &mdash; Co-founder and CEO</li>
  <li>Ravi Desai &mdash; Co-founder and CTO</li>
  <li>Colleen Brennan &mdash; Chief Revenue Officer</li>
  <li>Andre Whitlock &mdash; Chief Financial Officer</li>
</ul>
<h2>What we value</h2>
<ul>
  <li><strong>Boring reliability.</strong> Pipelines should be the least interesting part of your day.</li>
  <li><strong>Plain language.</strong> In our product, our docs and our contracts.</li>
  <li><strong>Customers in the room.</strong> Every engineer spends a day a quarter on support.</li>
</ul>
<h2>Offices</h2>
<ul>
  <li>Denver (headquarters), Colorado, USA</li>
  <li>Austin, Texas, USA</li>
  <li>Dublin, Ireland (EMEA headquarters)</li>
</ul>
<p>Want to join us? See <a href="/careers/">careers</a>. Press inquiries: press@quillstone.example.</p>
""",
    og_image="/assets/og/about.png",
)

page(
    "contact",
    "Contact us | Quillstone Analytics",
    "Contact Quillstone sales, support, billing, security, partnerships or press. Office addresses in Denver, Austin and Dublin.",
    """
<h1>Contact Quillstone</h1>
<p class="lead">Tell us what you need and we'll route you to the right team. We reply to sales inquiries within one business day.</p>
<h2>Email us</h2>
<ul>
  <li>Sales and demos: sales@quillstone.example</li>
  <li>Customer support: support@quillstone.example</li>
  <li>Billing and invoices: billing@quillstone.example</li>
  <li>Security and compliance: security@quillstone.example</li>
  <li>Privacy and data protection: privacy@quillstone.example</li>
  <li>Partnerships: partners@quillstone.example</li>
  <li>Press and media: press@quillstone.example</li>
  <li>Everything else: hello@quillstone.example</li>
</ul>
<h2>Call us</h2>
<ul>
  <li>United States: +1 (303) 555-0100, Monday&ndash;Friday, 8 a.m.&ndash;6 p.m. MT</li>
  <li>Ireland and EMEA: +353 1 555 0199, Monday&ndash;Friday, 9 a.m.&ndash;5:30 p.m. Irish time</li>
</ul>
<h2>Offices</h2>
<h3>Denver (headquarters)</h3>
<p>Quillstone Analytics, Inc.<br>1720 Blake Street, Suite 500<br>Denver, CO 80202, USA</p>
<h3>Austin</h3>
<p>401 Congress Avenue, Suite 1550<br>Austin, TX 78701, USA</p>
<h3>Dublin (EMEA headquarters)</h3>
<p>Quillstone Analytics Ireland Ltd.<br>3 Hanover Quay<br>Dublin 2, D02 XK75, Ireland</p>
<h2>Request a demo</h2>
<form action="/contact/thanks/" method="post">
  <label>Work email <input type="email" name="email" required></label>
  <label>Company <input type="text" name="company"></label>
  <label>How can we help? <textarea name="message"></textarea></label>
  <button type="submit">Send</button>
</form>
""",
)

# --------------------------------------------------------------------------- legal
page(
    "legal/privacy",
    "Privacy Policy | Quillstone Analytics",
    "How Quillstone Analytics collects, uses and protects personal data, your rights under GDPR and CCPA, and cookies.",
    """
<h1>Privacy Policy</h1>
<p class="meta">Last updated: January 15, 2026</p>
<h2>Who we are</h2>
<p>This policy covers Quillstone Analytics, Inc. (Denver, Colorado) and Quillstone Analytics Ireland Ltd. (Dublin, Ireland).
For visitors and customers in the European Economic Area and the United Kingdom, Quillstone Analytics Ireland Ltd. is the data controller.</p>
<h2>What we collect</h2>
<ul>
  <li>Information you give us: name, work email, company, job title, messages to sales or support.</li>
  <li>Account data: workspace settings, usage information and billing details.</li>
  <li>Website data: pages visited, device and browser information, collected with cookies.</li>
</ul>
<p>Data that customers process through the Quillstone service is governed by our <a href="/legal/dpa/">Data Processing Addendum</a>, not by this policy.</p>
<h2>How we use it</h2>
<p>To provide and improve the service, respond to requests, send product updates you subscribed to, and meet legal obligations. We do not sell personal data.</p>
<h2>Your rights</h2>
<p>You can ask to access, correct, delete or export your personal data, or object to processing, by emailing privacy@quillstone.example.
We answer requests within 30 days. California residents have the rights described in the CCPA.</p>
<h2 id="cookies">Cookies</h2>
<p>We use strictly necessary cookies, analytics cookies and marketing cookies. Non-essential cookies are only set after you accept them in the cookie banner,
and you can change your choice at any time with the "Cookie preferences" link in the footer.</p>
<h2>Retention</h2>
<p>We keep account data for as long as your account is active and delete it within 30 days after a workspace is closed, unless the law requires us to keep it longer.</p>
""",
)

page(
    "legal/dpa",
    "Data Processing Addendum (DPA) | Quillstone Analytics",
    "Quillstone's GDPR Data Processing Addendum with Standard Contractual Clauses. How to sign and where to find subprocessors.",
    """
<h1>Data Processing Addendum</h1>
<p class="lead">Our DPA sets out how Quillstone processes personal data on behalf of customers, as required by Article 28 of the GDPR.</p>
<h2>What it covers</h2>
<ul>
  <li>Quillstone's obligations as a processor, including confidentiality and security measures</li>
  <li>EU Standard Contractual Clauses (Module 2 and Module 3) and the UK International Data Transfer Addendum</li>
  <li>Assistance with data subject requests and data protection impact assessments</li>
  <li>Notification of personal data breaches without undue delay</li>
  <li>Deletion or return of customer data at the end of the contract</li>
</ul>
<h2>How to sign</h2>
<p>The DPA is pre-signed by Quillstone. Workspace admins can countersign it electronically from <em>Settings &rarr; Legal &rarr; Data Processing Addendum</em>.
If you need to negotiate changes, email privacy@quillstone.example.</p>
<h2>Subprocessors</h2>
<p>The current list of subprocessors is published in our Trust Center. We give customers 30 days' notice before adding a new subprocessor.</p>
<h2>Related</h2>
<ul>
  <li><a href="/legal/privacy/">Privacy Policy</a></li>
  <li><a href="/security/">Security and compliance</a></li>
</ul>
""",
)


def render(p: dict) -> str:
    """Return the full HTML of one page."""
    path = p["path"]
    url = f"{BASE}/{path}/" if path else f"{BASE}/"
    og = ""
    if p["og_image"]:
        og = (
            f'<meta property="og:title" content="{html.escape(p["title"])}">\n'
            f'<meta property="og:description" content="{html.escape(p["description"])}">\n'
            f'<meta property="og:image" content="{BASE}{p["og_image"]}">\n'
            f'<meta property="og:url" content="{url}">\n'
            '<meta property="og:type" content="website">\n'
        )
    slug = path.replace("/", "-") or "home"
    return TEMPLATE.format(
        title=html.escape(p["title"]),
        description=html.escape(p["description"]),
        canonical=url,
        og=og,
        slug=slug,
        header=HEADER.strip(),
        main=p["main"].strip(),
        footer=FOOTER.strip(),
    )


def main() -> None:
    """Write every page under site/."""
    if OUT.exists():
        shutil.rmtree(OUT)
    for p in PAGES:
        target = OUT / p["path"] / "index.html" if p["path"] else OUT / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(p), encoding="utf-8")
    print(f"wrote {len(PAGES)} pages to {OUT}")


if __name__ == "__main__":
    main()
