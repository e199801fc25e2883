#!/usr/bin/python3
"""Writes a realistic customer-churn table for examples/churn/workflow.yaml.

    /usr/bin/python3 examples/churn/generate.py [ROWS] [OUT.csv]
    (defaults: 20000 rows, examples/churn/data/customers.csv)

Mixed types as a CRM export has them: an ID column, a signup date, numbers
with missing values and outliers (data-entry errors in monthly_fee, a few
enormous support_calls counts), categories with a long tail (a free-text
city), and a churn label that depends on them the way churn does — short
tenure, month-to-month contracts, many support calls and high fees raise it,
long contracts and autopay lower it.  Only numpy is needed; the seed is
fixed, so the same rows come out every time.
"""
import os
import sys

import numpy as np

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "data", "customers.csv")
rng = np.random.default_rng(42)

plans = np.array(["basic", "standard", "premium", "family"])
contracts = np.array(["month-to-month", "one-year", "two-year"])
payments = np.array(["card", "bank-transfer", "autopay", "paper-check"])
regions = np.array(["north", "south", "east", "west", "central"])
cities = np.array([f"city_{i:03d}" for i in range(300)])
city_p = 1.0 / np.arange(1, 301) ** 1.1
city_p /= city_p.sum()

plan = rng.choice(plans, rows, p=[0.35, 0.35, 0.2, 0.1])
contract = rng.choice(contracts, rows, p=[0.55, 0.25, 0.2])
payment = rng.choice(payments, rows, p=[0.35, 0.2, 0.35, 0.1])
region = rng.choice(regions, rows)
city = rng.choice(cities, rows, p=city_p)
tenure = np.clip(rng.gamma(1.6, 14, rows), 0, 120).round().astype(int)
base_fee = {"basic": 19.0, "standard": 39.0, "premium": 69.0, "family": 89.0}
fee = np.array([base_fee[p] for p in plan]) + rng.normal(0, 6, rows)
fee[rng.random(rows) < 0.004] *= 100  # a misplaced decimal point
total = fee * np.maximum(tenure, 1) * rng.uniform(0.9, 1.05, rows)
calls = rng.poisson(1.2 + 2.5 * (contract == "month-to-month"), rows)
calls[rng.random(rows) < 0.002] = rng.integers(200, 999)  # a logging bug
age = rng.normal(44, 14, rows).clip(18, 95).round()
age[rng.random(rows) < 0.08] = np.nan
satisfaction = rng.integers(1, 6, rows).astype(float)
satisfaction[rng.random(rows) < 0.2] = np.nan
signup_days = 20089 - tenure * 30 - rng.integers(0, 30, rows)  # before 2025-01-01
logit = (-2.4 - 0.035 * tenure + 1.3 * (contract == "month-to-month")
         - 0.8 * (contract == "two-year") - 0.5 * (payment == "autopay")
         + 0.35 * np.minimum(calls, 10) + 0.012 * np.clip(fee, 0, 150)
         - 0.35 * np.nan_to_num(satisfaction - 3) + 0.4 * (plan == "basic")
         + rng.normal(0, 0.6, rows))
churned = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "yes", "no")

os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
epoch = np.datetime64("1970-01-01")
with open(out + ".tmp", "w") as f:
    f.write("customer_id,signup_date,plan,contract,payment_method,region,city,tenure_months,"
            "monthly_fee,total_spend,support_calls,age,satisfaction,churned\n")
    for i in range(rows):
        def num(v, fmt):
            return "" if np.isnan(v) else fmt % v
        f.write(f"C{100000 + i},{epoch + int(signup_days[i])},{plan[i]},{contract[i]},"
                f"{payment[i]},{region[i]},{city[i]},{tenure[i]},{fee[i]:.2f},{total[i]:.2f},"
                f"{calls[i]},{num(age[i], '%.0f')},{num(satisfaction[i], '%.0f')},"
                f"{churned[i]}\n")
os.replace(out + ".tmp", out)
print(f"wrote {rows} customers to {out} (churn rate {np.mean(churned == 'yes'):.1%})")
