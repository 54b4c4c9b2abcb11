/**
 * The families of a page being parsed: created by metadata lines or by samples, found again by
 * name, and the rules that tie a sample name to its family (a typed family by its exact name or
 * a suffix its type defines, else a family named after the sample, as Prometheus's metadata
 * lookup does). Reports broken rules as reasons; the parser adds the position.
 */

import { ALL_SUFFIXES, typeHasSuffix } from "./family-rules.ts";
import type { ExpositionSample, FamilyType, MetricFamily } from "./model.ts";

/** A family while it is being filled. */
export interface FamilyBuilder extends MetricFamily {
  type: FamilyType;
  help?: string;
  unit?: string;
  readonly samples: ExpositionSample[];
}

export class FamilyTable {
  readonly families: FamilyBuilder[] = [];
  private readonly byName = new Map<string, FamilyBuilder>();
  /** Families named by a `# TYPE` line: they win over same-named families made up by samples. */
  private readonly typed = new Set<string>();
  private readonly helped = new Set<string>();
  private readonly united = new Set<string>();
  /** Bumped by every TYPE line, which may change the family a sample name resolves to. */
  generation = 0;

  private family(name: string): FamilyBuilder {
    let f = this.byName.get(name);
    if (f === undefined) {
      f = { name, type: "unknown", samples: [] };
      this.byName.set(name, f);
      this.families.push(f);
    }
    return f;
  }

  /** The family a metadata line names (created by it). */
  named(name: string): FamilyBuilder {
    return this.family(name);
  }

  declareType(name: string, type: FamilyType): string | undefined {
    if (this.typed.has(name)) return `second TYPE line for ${name}`;
    this.typed.add(name);
    this.family(name).type = type;
    this.generation++;
    return undefined;
  }

  declareHelp(name: string, help: string): string | undefined {
    if (this.helped.has(name)) return `second HELP line for ${name}`;
    this.helped.add(name);
    this.family(name).help = help;
    return undefined;
  }

  declareUnit(name: string, unit: string): string | undefined {
    if (this.united.has(name)) return `second UNIT line for ${name}`;
    // OpenMetrics 1.0 "Unit": the unit, when given, must be a suffix of the family name.
    if (unit.length > 0 && !(name.endsWith(unit) && name.charCodeAt(name.length - unit.length - 1) === 95)) {
      return `unit ${JSON.stringify(unit)} is not a suffix "_${unit}" of the metric name ${name}`;
    }
    this.united.add(name);
    this.family(name).unit = unit;
    return undefined;
  }

  /** The family a sample name belongs to: a typed family by exact name or suffix, else by name. */
  resolve(name: string): FamilyBuilder {
    return this.typedFamilyOf(name) ?? this.family(name);
  }

  private typedFamilyOf(name: string): FamilyBuilder | undefined {
    if (this.typed.has(name)) return this.byName.get(name) as FamilyBuilder;
    for (let k = 0; k < ALL_SUFFIXES.length; k++) {
      const suffix = ALL_SUFFIXES[k];
      if (!name.endsWith(suffix)) continue;
      const base = name.slice(0, name.length - suffix.length);
      if (this.typed.has(base)) {
        const f = this.byName.get(base) as FamilyBuilder;
        if (typeHasSuffix(f.type, suffix)) return f;
      }
    }
    return undefined;
  }

  /**
   * OpenMetrics 1.0 "Exemplars": only counter `_total` and (gauge) histogram `_bucket` samples
   * carry them; Prometheus 2.42 fails the scrape otherwise ("does not support exemplars").
   */
  exemplarAllowed(name: string, known: FamilyBuilder | undefined): boolean {
    const f = known ?? this.typedFamilyOf(name);
    if (f === undefined) return false;
    if (f.type === "counter") return name.endsWith("_total");
    return (f.type === "histogram" || f.type === "gaugehistogram") && name.endsWith("_bucket");
  }
}
