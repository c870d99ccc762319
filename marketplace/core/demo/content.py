"""What the demo marketplace contains: people, styles, prompts and comments.

Plain data with natural keys (usernames, style slugs, fixed seeds), so a
second seeding finds every row it would create.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PASSWORD = "atelier-demo"
EMAIL_DOMAIN = "atelier.local"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    bio: str = ""
    artist: bool = False
    staff: bool = False
    avatar_palette: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        return f"{self.username}@{EMAIL_DOMAIN}"

    @property
    def initials(self) -> str:
        return "".join(part[0] for part in self.display_name.split()[:2]).upper()


@dataclass(frozen=True)
class DemoStyle:
    slug: str
    name: str
    artist: str
    description: str
    recipe: str
    palette: tuple[str, ...]
    tags: tuple[str, ...]
    price: int
    commercial_use: bool
    credit_required: bool
    status: str = "completed"
    failure_reason: str = ""
    # Prompt subjects for the demo generations in this style.
    subjects: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


USERS = (
    DemoUser(
        "lena", "Lena Vogt", artist=True, avatar_palette=("#3a7ca5", "#d9a5b3", "#81c3d7"),
        bio="Watercolourist from Hamburg. Harbour light, wet paper, and the plants on my windowsill.",
    ),
    DemoUser(
        "kenji", "Kenji Arai", artist=True, avatar_palette=("#1b1b1b", "#b3261e", "#6c6c6c"),
        bio="Sumi ink and long walks in the hills around Nagano. One brush, many breaths.",
    ),
    DemoUser(
        "ama", "Ama Mensah", artist=True, avatar_palette=("#ff2a6d", "#05d9e8", "#120b2e"),
        bio="Night-city illustrator in Accra. I paint with light that hums.",
    ),
    DemoUser(
        "tomas", "Tomás Ribeiro", artist=True, avatar_palette=("#6a994e", "#f2cc8f", "#1d2b53"),
        bio="Game artist from Porto. Small pixels, tiny worlds, isometric everything.",
    ),
    DemoUser("noor", "Noor Haddad", avatar_palette=("#e07a5f", "#f2cc8f", "#81b29a"),
             bio="Collecting styles for my board-game prototypes."),
    DemoUser("sam", "Sam Whitaker", avatar_palette=("#5f0f40", "#fb8b24", "#0f4c5c"),
             bio="Writer. I make covers for stories nobody has read yet."),
    DemoUser("admin", "Atelier Staff", staff=True),
)

STYLES = (
    DemoStyle(
        "harbour-watercolor", "Harbour Watercolor", "lena",
        "Soft, layered washes in sea blues and rose, with the pooled edges of wet-on-wet paint.",
        "watercolor", ("#f6f1e7", "#3a7ca5", "#81c3d7", "#d9a5b3", "#2f6690"),
        ("watercolor", "landscape", "portrait"), 6, commercial_use=True, credit_required=True,
        subjects=(("harbour", "morning fog"), ("girl", "red umbrella"), ("fishing boats", "low tide")),
    ),
    DemoStyle(
        "herbarium-plates", "Herbarium Plates", "lena",
        "Pressed-plant studies on cream paper: stems, paired leaves and a bloom at the tip.",
        "botanical", ("#f4efe1", "#4f772d", "#90a955", "#31572c", "#e07a5f"),
        ("botanical", "watercolor"), 4, commercial_use=True, credit_required=False,
        subjects=(("wild rose",), ("fern", "seed pods"), ("sweet pea", "climbing")),
    ),
    DemoStyle(
        "sumi-ink-studies", "Sumi Ink Studies", "kenji",
        "Quick brush strokes that taper as the brush lifts, ink splatter and a red seal.",
        "ink", ("#efe8d8", "#1b1b1b", "#b3261e"),
        ("ink", "monochrome"), 5, commercial_use=False, credit_required=True,
        subjects=(("bamboo", "wind"), ("heron", "reeds"), ("pine", "winter")),
    ),
    DemoStyle(
        "evening-ridges", "Evening Ridges", "kenji",
        "Layered hills fading into a warm sky, the sun low and glowing.",
        "landscape", ("#ffcf99", "#ff8c61", "#fff3b0", "#ce6a85", "#3d1e6d"),
        ("landscape", "retro"), 3, commercial_use=True, credit_required=False,
        subjects=(("mountain pass", "dusk"), ("valley", "lone tree"), ("desert", "sunset")),
    ),
    DemoStyle(
        "night-signal", "Night Signal", "ama",
        "Glowing tubes of neon on a dark wall: rings, frames and zigzags that buzz.",
        "neon", ("#120b2e", "#ff2a6d", "#05d9e8", "#d1f7ff", "#f9f871"),
        ("neon", "retro"), 9, commercial_use=True, credit_required=True,
        subjects=(("ramen bar", "rain"), ("cat", "open sign"), ("arcade", "midnight")),
    ),
    DemoStyle(
        "sunset-drive", "Sunset Drive", "ama",
        "Synthwave horizons: a striped sun, purple mountains and a glowing grid.",
        "retro", ("#0b0033", "#ff3c83", "#ffe66d", "#ff6b35", "#2a0a4a", "#00f0ff"),
        ("retro", "neon", "landscape"), 12, commercial_use=False, credit_required=False,
        subjects=(("highway", "palm trees"), ("sports car",), ("ocean", "horizon")),
    ),
    DemoStyle(
        "tiny-kingdoms", "Tiny Kingdoms", "tomas",
        "Low-resolution night scenes in a strict eight-colour palette, scaled up crisp.",
        "pixel-art", ("#1d2b53", "#7e2553", "#5f574f", "#00e436", "#ab5236", "#fff1e8"),
        ("pixel-art", "retro", "landscape"), 2, commercial_use=True, credit_required=True,
        subjects=(("castle", "moon"), ("forest", "campfire"), ("village", "stars")),
    ),
    DemoStyle(
        "isometric-blocks", "Isometric Blocks", "tomas",
        "Toy-like isometric towns of stacked cubes in clay and sage colours.",
        "isometric", ("#e8f1f2", "#a9d6e5", "#6a994e", "#f2cc8f", "#e07a5f", "#81b29a"),
        ("isometric", "pixel-art"), 15, commercial_use=True, credit_required=False,
        subjects=(("harbour town",), ("farm", "windmill"), ("city block", "park")),
    ),
    DemoStyle(
        "moss-and-fern", "Moss and Fern", "lena",
        "Damp greens and dark ink outlines; still training.",
        "botanical", ("#e9edc9", "#283618", "#606c38", "#3a5a40", "#bc6c25"),
        ("botanical", "ink"), 5, commercial_use=False, credit_required=True, status="pending",
    ),
    DemoStyle(
        "chrome-portraits", "Chrome Portraits", "ama",
        "Portraits lit by a single neon tube.",
        "neon", ("#0d0d0d", "#c0c0c0", "#ff2a6d", "#05d9e8"),
        ("portrait", "neon", "monochrome"), 8, commercial_use=True, credit_required=True, status="failed",
        failure_reason="Training stopped at step 400: the loss did not go down. Several images are near-duplicates; "
        "upload at least 10 distinct pictures and try again.",
    ),
)

# Cycled over the demo generations: mostly squares, some tall, a few large.
ASPECT_RATIOS = ("1:1", "1:2", "1:1", "1:1", "2:2", "1:2")

COMMENTS = (
    "The light in this is gorgeous.",
    "Saving this for my moodboard!",
    "How did you get those colours? Love it.",
    "This would make a perfect poster.",
    "So calm. I could look at this all day.",
    "The texture is unreal 😍",
    "Remixing this with my own seed, thank you!",
    "Great pick of tags, the mood really comes through.",
    "That composition! Chef's kiss.",
    "Reminds me of summer holidays as a kid.",
    "Printed this one for my studio wall.",
    "Okay, this style is my new favourite.",
)
OWNER_REPLY = "Thank you, that means a lot!"
